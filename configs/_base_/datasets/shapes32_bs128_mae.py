# MAE's single view of the built-in shape data (see ./shapes32_bs128_mocov3.py
# for the data): a crop of 20-100 % of the image and a flip. The model's
# pipeline end (TokenDropTransform) draws the mask.
_base_ = './shapes32_bs128_mocov3.py'

view_pipeline = [
    dict(
        _base_.view_pipeline[0],  # the crop
        crop_ratio_range=(0.2, 1.0),
        interpolation='bicubic'),
    _base_.view_pipeline[-1],  # the flip
]
train_pipeline = [
    dict(type='LoadImageFromFileSafe'),  # skips unreadable files
    *view_pipeline,
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
