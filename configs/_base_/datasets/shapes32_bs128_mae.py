# MAE's single view of the built-in shape data (see ./shapes32_bs128_mocov3.py
# for the data): a crop of 20-100 % of the image and a flip. The model's
# pipeline end (TokenDropTransform) draws the mask.
_base_ = './shapes32_bs128_mocov3.py'

view_pipeline = [
    dict(
        type='RandomResizedCrop',
        scale=32,
        crop_ratio_range=(0.2, 1.0),
        backend='pillow',
        interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5),
]
train_pipeline = [
    dict(type='LoadImageFromFileSafe'),  # skips unreadable files
    *view_pipeline,
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
