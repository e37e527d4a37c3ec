# Two-view MoCo v3 pipeline for the built-in shape data in its textured
# style (32 px, 12,000 train images; `tools/dataset_converters/
# make_shapes.py --style textured --out data/shapes_textured` writes them).
# Any ImageNet-style folder works too (the flat-colour shapes, data/shapes):
# the crop brings every image to 32 px.
dataset_type = 'CustomDataset'
data_root = 'data/shapes_textured/'
img_size = 32
data_preprocessor = dict(
    type='SelfSupDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

# MoCo v3's augmentations, with two changes for data whose colours say
# nothing of the class: crops of at least half the image (at 32 px a
# smaller crop cuts away most of a shape's outline), and a stronger colour
# jitter (saturation 0.8, hue 0.5 instead of 0.2 and 0.1) so that the two
# views of an image no longer share its colours, the cheapest way to tell
# images apart (on the textured shapes, MoCo v3's k-NN top-1 after 6
# epochs: 18.3 % with MoCo v3's jitter, 24.4 % with this one; random init
# 11.2 %; configs/dilemma/README.md).
view_pipeline = [
    dict(
        type='RandomResizedCrop',
        scale=img_size,
        crop_ratio_range=(0.5, 1.),
        backend='pillow'),
    dict(
        type='RandomApply',
        transforms=[
            dict(
                type='ColorJitter',
                brightness=0.4,
                contrast=0.4,
                saturation=0.8,
                hue=0.5)
        ],
        prob=0.8),
    dict(
        type='RandomGrayscale',
        prob=0.2,
        keep_channels=True,
        channel_weights=(0.114, 0.587, 0.2989)),
    dict(type='RandomFlip', prob=0.5),
]
train_pipeline = [
    dict(type='LoadImageFromFileSafe'),  # skips unreadable files
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=128,
    num_workers=2,
    persistent_workers=True,
    drop_last=True,  # a last batch of one breaks the necks' BatchNorm
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix='train',
        pipeline=train_pipeline))
