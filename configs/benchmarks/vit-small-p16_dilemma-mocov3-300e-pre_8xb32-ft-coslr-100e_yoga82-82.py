# YOGA-82 fine-tuning at level 82 (fine poses) of a DILEMMA + MoCo v3
# ViT-S/16 pretrained on ImageNet-1K: the ViT fine-tuning recipe (AdamW,
# layer decay 0.75, drop path 0.1, Mixup / CutMix, label smoothing, warm-up
# and cosine) on a total batch of 256 (8 x 32) for 100 epochs. Levels 6 and
# 20: the *_yoga82-6.py and *_yoga82-20.py configs.
#   tools/dist_train.sh CONFIG 8 \
#       --cfg-options model.backbone.init_cfg.checkpoint=PATH
_base_ = [
    './_base_/models/vit-small-p16_ft.py',
    './_base_/datasets/yoga82_bs32.py',
    './_base_/schedules/adamw_layer-decay-coslr-100e.py',
    '../_base_/default_runtime.py',
]

model = dict(head=dict(num_classes=82))

# 5e-4 x 256 / 256.
optim_wrapper = dict(optimizer=dict(lr=5e-4))
train_cfg = dict(val_interval=5)

default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=3))
auto_scale_lr = dict(base_batch_size=256)
