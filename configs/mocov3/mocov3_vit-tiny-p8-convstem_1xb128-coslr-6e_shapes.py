# MoCo v3 on the built-in shape data, sized for a CPU (6.5-7 min on two
# cores): a 4-layer, 192-wide ViT with a convolutional stem on 32 px
# images cut into 8 px patches (16 tokens). The baseline of
# ../dilemma/dilemma-mocov3_vit-tiny-p8-convstem_1xb128-coslr-8e_shapes.py,
# which runs 8 epochs in about the time of these 6.
#
# The stem (ConvStem: three 3x3 stride-2 conv-BN-ReLU layers) replaces the
# linear patch projection: with it this ViT learns the shapes from labels
# to over 80 % top-1 in five CPU minutes, and without it far slower
# (tools/analysis_tools/shapes_learnability.py, configs/dilemma/README.md).
# It is trained, not frozen as MoCo v3's random projection is at scale.
_base_ = [
    '../_base_/models/mocov3_vit-tiny-p8-convstem.py',
    '../_base_/datasets/shapes32_bs128_mocov3.py',
    '../_base_/default_runtime.py',
]

# AdamW and wd 0.1 as MoCo v3; lr 1e-3 at batch 128 (MoCo v3's rule would
# give 7.5e-5, far too slow for minutes of training).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.1))

max_epochs = 6
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-3,
        by_epoch=True,
        begin=0,
        end=1,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs - 1,
        by_epoch=True,
        begin=1,
        end=max_epochs,
        convert_to_iter_based=True)
]

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
default_hooks = dict(logger=dict(interval=10))
auto_scale_lr = dict(base_batch_size=128)
