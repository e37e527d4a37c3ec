# ImageNet-1K linear probing of a DILEMMA + MoCo v3 ViT-B/16
# (../dilemma/dilemma-mocov3_vit-base-p16_16xb256-amp-coslr-300e_in1k.py):
# the ViT-S recipe on the 768-wide backbone (frozen backbone, SGD lr 12 at
# batch 1024, 90 epochs cosine).
#   tools/dist_train.sh CONFIG 8 \
#       --cfg-options model.backbone.init_cfg.checkpoint=PATH
_base_ = './vit-small-p16_dilemma-mocov3-300e-pre_8xb128-linear-coslr-90e_in1k.py'  # noqa: E501

model = dict(
    backbone=dict(arch='base'),  # ViT-B: 768 wide, 12 layers, 12 heads
    neck=dict(input_features=768),
    head=dict(in_channels=768))
