# ImageNet-1K fine-tuning of a DILEMMA + MoCo v3 ViT-B/16: the ViT-S recipe
# (AdamW lr 2e-3 at batch 1024, drop path 0.1, RandAugment, random erasing,
# Mixup and CutMix, label smoothing, 100 epochs) with MAE's layer decay of
# 0.65 for ViT-B.
#   tools/dist_train.sh CONFIG 8 \
#       --cfg-options model.backbone.init_cfg.checkpoint=PATH
_base_ = './vit-small-p16_dilemma-mocov3-300e-pre_8xb128-ft-coslr-100e_in1k.py'  # noqa: E501

model = dict(
    backbone=dict(arch='base'),  # ViT-B: 768 wide, 12 layers, 12 heads
    head=dict(in_channels=768))
optim_wrapper = dict(paramwise_cfg=dict(layer_decay_rate=0.65))
