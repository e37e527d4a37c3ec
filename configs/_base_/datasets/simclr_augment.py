# SimCLR's augmentations after the crop (mmpretrain's imagenet_bs32_simclr):
# flip, colour jitter 0.8 / 0.8 / 0.8 / 0.2 with probability 0.8, grayscale
# 0.2, blur with sigma 0.1-2 px half of the time. The SimCLR data bases
# put their crop in front.
simclr_augment = [
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
