# DINO's multi-crop of ImageNet (its DataAugmentationDINO): 2 global crops
# of 224 px (40-100 % of the image) and 8 local crops of 96 px (5-40 %),
# 64 images per GPU. Every crop is flipped, colour-jittered and grayscaled
# alike; the first global crop is always blurred, the second sometimes
# blurred or solarised, the local ones blurred half of the time.
data_preprocessor = dict(
    type='SelfSupDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

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
    scale=224,
    crop_ratio_range=(0.4, 1.0),
    interpolation='bicubic',
    backend='pillow')
local_crop = dict(global_crop, scale=96, crop_ratio_range=(0.05, 0.4))
blur = dict(
    type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf')
multi_crop = dict(
    type='MultiView',
    num_views=[1, 1, 8],
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
