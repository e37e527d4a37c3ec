# MoCo v3's two ViT views of ImageNet (mmpretrain's MoCo v3 ViT recipe: crops
# of 8-100 % of the image; the first view always blurred, the second
# sometimes blurred or solarised), 256 images per GPU.
dataset_type = 'ImageNet'
data_root = 'data/imagenet/'
data_preprocessor = dict(
    type='SelfSupDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

crop = dict(
    type='RandomResizedCrop',
    scale=224,
    crop_ratio_range=(0.08, 1.),
    backend='pillow')
color = [
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
blur = dict(
    type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf')
solarize = dict(type='Solarize', thr=128)
flip = dict(type='RandomFlip', prob=0.5)
view_pipeline1 = [
    crop, *color,
    dict(blur, prob=1.),
    dict(solarize, prob=0.), flip
]
view_pipeline2 = [
    crop, *color,
    dict(blur, prob=0.1),
    dict(solarize, prob=0.2), flip
]
train_pipeline = [
    dict(type='LoadImageFromFileSafe'),  # skips bad files
    dict(
        type='MultiView',
        num_views=[1, 1],
        transforms=[view_pipeline1, view_pipeline2]),
    dict(type='PackInputs')
]

train_dataloader = dict(
    batch_size=256,
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    drop_last=True,  # BatchNorm in the neck cannot train on one sample
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=train_pipeline))
