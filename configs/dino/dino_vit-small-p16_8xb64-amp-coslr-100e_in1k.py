# DINO baseline, ViT-S/16 on ImageNet-1K: the defaults of DINO's
# main_dino.py (its README's ViT-S/16 100-epoch run on 8 GPUs x 64 images):
# 2 global crops (224 px, scale 0.4-1) + 8 local crops (96 px, 0.05-0.4),
# projection head 2048-2048-256 -> 65536 with a normalised last layer frozen
# in the first epoch, student T 0.1, teacher T 0.04, centre momentum 0.9,
# teacher momentum 0.996 -> 1 (cosine), AdamW lr 5e-4 x batch / 256 with 10
# warm-up epochs and a cosine to 1e-6, weight decay 0.04 -> 0.4 (cosine, not
# on norms and biases), drop path 0.1, fp16, gradient clipping 3.0 (by the
# global norm here; DINO clips every parameter's gradient on its own).
_base_ = ['../_base_/default_runtime.py']

data_preprocessor = dict(
    type='SelfSupDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

multi_crop = dict(
    type='DINOMultiCrop',
    global_crop_size=224,
    local_crop_size=96,
    num_local_crops=8,
    global_crop_scale=(0.4, 1.0),
    local_crop_scale=(0.05, 0.4))
train_pipeline = [
    dict(type='LoadImageFromFileSafe'),  # skips bad files
    multi_crop,
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=64,
    drop_last=True,
    num_workers=10,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='ImageNet',
        data_root='data/imagenet/',
        split='train',
        pipeline=train_pipeline))

out_channels = 65536
model = dict(
    type='DINO',
    base_momentum=0.004,  # teacher momentum 0.996 -> 1
    num_global_crops=2,
    freeze_last_layer_epochs=1,
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='VisionTransformer',
        arch='deit-small',  # ViT-S: 384 wide, 12 layers, 6 heads
        img_size=224,
        patch_size=16,
        drop_path_rate=0.1,
        out_type='cls_token'),
    neck=dict(
        type='DINONeck',
        in_channels=384,
        out_channels=out_channels,
        hidden_channels=2048,
        bottleneck_channels=256,
        norm_last_layer=True),
    head=dict(
        type='DINOHead',
        out_channels=out_channels,
        student_temp=0.1,
        teacher_temp=0.04,
        center_momentum=0.9))

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
