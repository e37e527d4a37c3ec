# ImageNet-1K linear probing of a DILEMMA + MoCo v3 ViT-B/16
# (../dilemma/dilemma-mocov3_vit-base-p16_16xb256-amp-coslr-300e_in1k.py):
# the ViT-S recipe on the 768-wide backbone (frozen backbone, SGD lr 12 at
# batch 1024, 90 epochs cosine).
#   tools/dist_train.sh CONFIG 8 \
#       --cfg-options model.backbone.init_cfg.checkpoint=PATH
_base_ = [
    './_base_/models/vit-base-p16_linear.py',
    './_base_/datasets/imagenet_bs32_pil_resize.py',
    './_base_/schedules/sgd_linear-coslr-90e.py',
    '../_base_/default_runtime.py',
]

train_dataloader = dict(batch_size=128)

default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=3))
