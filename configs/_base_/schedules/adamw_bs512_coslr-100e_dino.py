# DINO's schedule (its main_dino.py defaults): AdamW lr 5e-4 x batch / 256
# with 10 warm-up epochs and a cosine to 1e-6, weight decay 0.04 -> 0.4
# (cosine, not on norms and biases), fp16, gradient clipping 3.0 (by the
# global norm here; DINO clips every parameter's gradient on its own), 100
# epochs, teacher temperature 0.04.
optim_wrapper = dict(
    type='AmpOptimWrapper',
    loss_scale='dynamic',
    optimizer=dict(type='AdamW', lr=5e-4 * 512 / 256, weight_decay=0.04),
    clip_grad=dict(max_norm=3.0),
    paramwise_cfg=dict(norm_decay_mult=0., bias_decay_mult=0.))
# no gradient reaches the frozen last layer in the first epoch
find_unused_parameters = True

param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-4,
        by_epoch=True,
        begin=0,
        end=10,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=90,
        eta_min=1e-6,
        by_epoch=True,
        begin=10,
        end=100,
        convert_to_iter_based=True),
    # DINO's per-iteration weight decay: cosine from 0.04 to 10 x 0.04
    dict(
        type='CosineAnnealingParamScheduler',
        param_name='weight_decay',
        eta_min_ratio=10.,
        by_epoch=True,
        begin=0,
        end=100,
        convert_to_iter_based=True),
]
custom_hooks = [
    dict(
        type='DINOTeacherTempWarmupHook',
        warmup_teacher_temp=0.04,
        teacher_temp=0.04,
        warmup_epochs=0),
]

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=100)
auto_scale_lr = dict(base_batch_size=512)
