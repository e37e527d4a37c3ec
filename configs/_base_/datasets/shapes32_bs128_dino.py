# DINO's multi-crop of the built-in shape data (see ./shapes32_bs128_mocov3.py
# for the data): 2 global crops of 32 px (40-100 % of the image) and 4 local
# crops of 16 px (5-40 %), every crop colour-jittered, grayscaled and
# flipped as the CPU MoCo v3 views are (DINO's flip_and_color_jitter, at
# the colour strength of ./shapes32_bs128_mocov3.py); the first global crop
# always blurred, the second sometimes blurred or solarised, the local ones
# blurred half of the time (DINO's DataAugmentationDINO, its sigma of
# 0.1-2 px kept).
_base_ = './shapes32_bs128_mocov3.py'

colour_and_flip = _base_.view_pipeline[1:]
global_crop = dict(
    type='RandomResizedCrop',
    scale=32,
    crop_ratio_range=(0.4, 1.0),
    interpolation='bicubic',
    backend='pillow')
local_crop = dict(global_crop, scale=16, crop_ratio_range=(0.05, 0.4))
blur = dict(
    type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf')
multi_crop = dict(
    type='MultiView',
    num_views=[1, 1, 4],
    transforms=[
        [global_crop, *colour_and_flip,
         dict(blur, prob=1.0)],
        [
            global_crop, *colour_and_flip,
            dict(blur, prob=0.1),
            dict(type='Solarize', thr=128, prob=0.2)
        ],
        [local_crop, *colour_and_flip,
         dict(blur, prob=0.5)],
    ])
train_pipeline = [
    dict(type='LoadImageFromFileSafe'),  # skips unreadable files
    multi_crop,
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
