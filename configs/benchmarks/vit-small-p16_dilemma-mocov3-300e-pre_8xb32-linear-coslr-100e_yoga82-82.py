# YOGA-82 linear probing at level 82 (fine poses) of a DILEMMA + MoCo v3
# ViT-S/16 pretrained on ImageNet-1K: frozen backbone, BatchNorm without
# affine parameters, linear head; SGD with momentum on a total batch of 256
# (8 x 32), cosine over 100 epochs. Levels 6 and 20: the *_yoga82-6.py and
# *_yoga82-20.py configs; all three at once: *_yoga82-hier.py.
#   tools/dist_train.sh CONFIG 8 \
#       --cfg-options model.backbone.init_cfg.checkpoint=PATH
_base_ = [
    './_base_/models/vit-small-p16_linear.py',
    './_base_/datasets/yoga82_bs32.py',
    './_base_/schedules/sgd_linear-coslr-90e.py',
    '../_base_/default_runtime.py',
]

model = dict(head=dict(num_classes=82))

# The ImageNet probe's schedule for 100 epochs, its learning rate (12 at
# batch 1024) for 256.
optim_wrapper = dict(optimizer=dict(lr=3))
param_scheduler = [
    dict(
        _base_.param_scheduler[0],
        T_max=100,
        end=100,
        convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=100, val_interval=5)

default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=3))
auto_scale_lr = dict(base_batch_size=256)
