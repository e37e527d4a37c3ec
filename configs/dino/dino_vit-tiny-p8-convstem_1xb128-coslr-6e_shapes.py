# DINO on the built-in shape data, sized for a CPU: the CPU recipes' ViT
# with its convolutional stem, DINO's multi-crop at 32 px (2 global crops
# of 32 px, 4 local ones of 16 px) and its model, the CPU schedule for 6
# epochs with DINO's gradient clipping, weight decay 0.04 -> 0.4 (cosine)
# and a teacher temperature warmed up from 0.04 to 0.07 over the first 2
# epochs. The baseline of
# ../dilemma/dilemma-dino_vit-tiny-p8-convstem_1xb128-coslr-8e_shapes.py.
_base_ = [
    '../_base_/models/dino_vit-tiny-p8-convstem.py',
    '../_base_/datasets/shapes32_bs128_dino.py',
    '../_base_/schedules/adamw_bs128_coslr-8e_cpu.py',
    '../_base_/default_runtime.py',
]

optim_wrapper = dict(
    optimizer=dict(weight_decay=0.04),
    clip_grad=dict(max_norm=3.0),
    paramwise_cfg=dict(norm_decay_mult=0., bias_decay_mult=0.))
# the frozen last layer of the first epoch has no gradient
find_unused_parameters = True
weight_decay = dict(
    type='CosineAnnealingParamScheduler',
    param_name='weight_decay',
    eta_min_ratio=10.,
    by_epoch=True,
    begin=0,
    convert_to_iter_based=True)
param_scheduler = [
    _base_.warmup,
    dict(_base_.cosine, T_max=5, end=6),
    dict(weight_decay, end=6)
]
train_cfg = dict(max_epochs=6)
custom_hooks = [
    dict(
        type='DINOTeacherTempWarmupHook',
        warmup_teacher_temp=0.04,
        teacher_temp=0.07,
        warmup_epochs=2),
]
default_hooks = dict(logger=dict(interval=10))
