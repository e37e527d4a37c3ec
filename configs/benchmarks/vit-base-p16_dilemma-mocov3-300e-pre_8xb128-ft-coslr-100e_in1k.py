# ImageNet-1K fine-tuning of a DILEMMA + MoCo v3 ViT-B/16: the ViT-S recipe
# (AdamW lr 2e-3 at batch 1024, drop path 0.1, RandAugment, random erasing,
# Mixup and CutMix, label smoothing, 100 epochs) with MAE's layer decay of
# 0.65 for ViT-B.
#   tools/dist_train.sh CONFIG 8 \
#       --cfg-options model.backbone.init_cfg.checkpoint=PATH
_base_ = [
    './_base_/models/vit-base-p16_ft.py',
    './_base_/datasets/imagenet_bs64_swin_224.py',
    './_base_/schedules/adamw_layer-decay-coslr-100e.py',
    '../_base_/default_runtime.py',
]

train_dataloader = dict(batch_size=128)
val_dataloader = dict(batch_size=128)
test_dataloader = val_dataloader

optim_wrapper = dict(paramwise_cfg=dict(layer_decay_rate=0.65))
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3))
randomness = dict(seed=0, diff_rank_seed=True)
