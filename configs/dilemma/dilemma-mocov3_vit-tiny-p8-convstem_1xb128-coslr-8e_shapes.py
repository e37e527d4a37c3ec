# DILEMMA + MoCo v3 on the built-in shape data, sized for a CPU: the recipe
# of ../mocov3/mocov3_vit-tiny-p8-convstem_1xb128-coslr-6e_shapes.py with
# the online encoder on sparse (drop 0.5: 8 of 16 tokens), misplaced
# (p = 0.2) views and a linear misplacement head on its patch tokens. Its
# 8 epochs take about the time of the baseline's 6 on two CPU cores
# (measured ratio in configs/dilemma/README.md). `make demo` runs it.
#
# Drop 0.5 rather than the paper's 0.75: with 16 tokens, 0.75 would leave
# the online encoder 4, a quarter of a 32 px image.
_base_ = [
    '../_base_/models/mocov3_vit-tiny-p8-convstem.py',
    '../_base_/datasets/shapes32_bs128_mocov3.py',
    '../_base_/default_runtime.py',
]

drop_ratio = 0.5
misplace_prob = 0.2
patch_size = 8

view_pipeline = {{_base_.view_pipeline}}
train_pipeline = [
    dict(type='LoadImageFromFileSafe'),  # skips unreadable files
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    # after MultiView: every view gets its own keep/pos on its own grid
    dict(
        type='TokenDropTransform',
        drop_ratio=drop_ratio,
        misplace_prob=misplace_prob,
        patch_size=patch_size),
    dict(type='PackInputs', algorithm_keys=['keep', 'pos']),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

model = dict(
    type='DilemmaMoCoV3',
    misplacement_head=dict(type='MisplacementHead', loss_weight=1.0))

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.1))

max_epochs = 8
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
