# Two-view SimCLR pipeline for the built-in shape data (see
# ./shapes32_bs128_mocov3.py for the data): SimCLR's augmentations (colour
# jitter 0.8 / 0.8 / 0.8 / 0.2 with probability 0.8, grayscale 0.2, blur
# with sigma 0.1-2 px half of the time) on crops of at least half the
# image, as every CPU recipe crops at 32 px.
_base_ = ['./shapes32_bs128_mocov3.py', './simclr_augment.py']

view_pipeline = [_base_.view_pipeline[0], *_base_.simclr_augment]
train_pipeline = [
    dict(type='LoadImageFromFileSafe'),  # skips unreadable files
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
