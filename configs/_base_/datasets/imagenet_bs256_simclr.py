# SimCLR's two views of ImageNet (mmpretrain's imagenet_bs32_simclr: colour
# jitter 0.8 with probability 0.8, blur 0.5), 256 images per GPU; ImageNet
# read and normalised as ./imagenet_bs512_mae.py does.
_base_ = './imagenet_bs512_mae.py'

view_pipeline = [
    dict(type='RandomResizedCrop', scale=224, backend='pillow'),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='RandomApply',
        transforms=[
            dict(
                type='ColorJitter',
                brightness=0.8,
                contrast=0.8,
                saturation=0.8,
                hue=0.2)
        ],
        prob=0.8),
    dict(
        type='RandomGrayscale',
        prob=0.2,
        keep_channels=True,
        channel_weights=(0.114, 0.587, 0.2989)),
    dict(
        type='GaussianBlur',
        magnitude_range=(0.1, 2.0),
        magnitude_std='inf',
        prob=0.5),
]
train_pipeline = [
    dict(type='LoadImageFromFileSafe'),  # skips bad files
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs')
]

train_dataloader = dict(batch_size=256, dataset=dict(pipeline=train_pipeline))
