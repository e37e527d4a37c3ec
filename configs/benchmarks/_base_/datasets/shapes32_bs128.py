# Classification on the built-in shape data (12 classes, 32 px; generate it
# with tools/dataset_converters/make_shapes.py --out data/shapes). Other
# ImageNet-style folders work too (set num_classes): images are resized so
# that their short side is 32 px and centre-cropped.
dataset_type = 'CustomDataset'
data_root = 'data/shapes/'
img_size = 32
data_preprocessor = dict(
    num_classes=12,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

train_pipeline = [
    dict(type='LoadImageFromFileSafe'),  # skips unreadable files
    dict(
        type='RandomResizedCrop',
        scale=img_size,
        crop_ratio_range=(0.5, 1.),
        backend='pillow'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackInputs'),
]
# No-ops on the 32 px shape images; other images are brought to 32 px.
test_pipeline = [
    dict(type='LoadImageFromFileSafe', on_error='raise'),
    dict(type='ResizeEdge', scale=img_size, edge='short', backend='pillow'),
    dict(type='CenterCrop', crop_size=img_size),
    dict(type='PackInputs'),
]

val_dataloader = dict(
    batch_size=256,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix='val',
        pipeline=test_pipeline))
train_dataloader = dict(
    val_dataloader,
    batch_size=128,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        val_dataloader['dataset'],
        data_prefix='train',
        pipeline=train_pipeline))
val_evaluator = dict(type='Accuracy', topk=(1, 5))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
