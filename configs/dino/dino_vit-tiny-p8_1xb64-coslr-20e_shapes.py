# DINO baseline on the built-in shape data, sized for CPU: the data loader
# and schedule of the MoCo v3 CPU recipe (../mocov3/mocov3_vit-tiny-p8_1xb64-
# coslr-20e_shapes.py) with DINO's model, multi-crop (2 global crops of 64 px
# and 4 local crops of 32 px), weight-decay schedule and a teacher
# temperature warmed up from 0.04 to 0.07 over 5 epochs. A 4-layer, 192-wide
# ViT with 8 px patches: 64 tokens per global crop, 16 per local crop.
_base_ = [
    '../_base_/datasets/shapes_bs64_mocov3.py',
    '../_base_/schedules/adamw_bs64_coslr-20e.py',
    '../_base_/default_runtime.py',
]

# DINO's multi-crop (its DataAugmentationDINO): every crop is flipped,
# colour-jittered and grayscaled alike; the blur and solarisation differ.
flip_and_color = [
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='RandomApply',
        transforms=[
            dict(
                type='ColorJitter',
                brightness=0.4,
                contrast=0.4,
                saturation=0.2,
                hue=0.1)
        ],
        prob=0.8),
    dict(
        type='RandomGrayscale',
        prob=0.2,
        keep_channels=True,
        channel_weights=(0.114, 0.587, 0.2989)),
]
global_crop = dict(
    type='RandomResizedCrop',
    scale=64,
    crop_ratio_range=(0.4, 1.0),
    interpolation='bicubic',
    backend='pillow')
local_crop = dict(global_crop, scale=32, crop_ratio_range=(0.05, 0.4))
blur = dict(
    type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf')
multi_crop = dict(
    type='MultiView',
    num_views=[1, 1, 4],
    transforms=[
        [global_crop, *flip_and_color,
         dict(blur, prob=1.0)],
        [
            global_crop, *flip_and_color,
            dict(blur, prob=0.1),
            dict(type='Solarize', thr=128, prob=0.2)
        ],
        [local_crop, *flip_and_color,
         dict(blur, prob=0.5)],
    ])
train_pipeline = [
    dict(type='LoadImageFromFileSafe'),  # skips unreadable files
    multi_crop,
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

out_channels = 1024
model = dict(
    type='DINO',
    base_momentum=0.004,
    freeze_last_layer_epochs=1,
    backbone=dict(
        type='VisionTransformer',
        arch=dict(
            embed_dims=192,
            num_layers=4,
            num_heads=3,
            feedforward_channels=768),
        img_size=64,
        patch_size=8,
        drop_path_rate=0.1,
        out_type='cls_token'),
    neck=dict(
        type='DINONeck',
        in_channels=192,
        out_channels=out_channels,
        hidden_channels=512,
        bottleneck_channels=128),
    head=dict(type='DINOHead', out_channels=out_channels))

optim_wrapper = dict(
    optimizer=dict(weight_decay=0.04),
    clip_grad=dict(max_norm=3.0),
    paramwise_cfg=dict(norm_decay_mult=0., bias_decay_mult=0.))
custom_hooks = [
    dict(
        type='DINOTeacherTempWarmupHook',
        warmup_teacher_temp=0.04,
        teacher_temp=0.07,
        warmup_epochs=5),
]
# The lr schedule of the base, plus DINO's per-iteration weight decay:
# cosine from 0.04 to 10 x 0.04.
param_scheduler = _base_.param_scheduler + [
    dict(
        type='CosineAnnealingParamScheduler',
        param_name='weight_decay',
        eta_min_ratio=10.,
        by_epoch=True,
        begin=0,
        end=20,
        convert_to_iter_based=True),
]

default_hooks = dict(logger=dict(interval=10))
