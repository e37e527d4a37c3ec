# YOGA-82 at level 82 (set train/val/test dataset.level and the head's
# num_classes for 6 or 20). Run tools/dataset_converters/prepare_yoga82.py
# data/yoga82 first: it drops missing and truncated images and writes the
# yoga_{train,test}_clean.txt read here. A file that breaks later is skipped
# in training (LoadImageFromFileSafe draws another image) and named in the
# error at test time.
dataset_type = 'YOGA82'
data_root = 'data/yoga82/'
data_preprocessor = dict(
    num_classes=82,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

train_pipeline = [
    dict(type='LoadImageFromFileSafe'),
    dict(
        type='RandomResizedCrop',
        scale=224,
        backend='pillow',
        interpolation='bicubic'),
    # A mirrored pose is the same pose.
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFileSafe', on_error='raise'),
    dict(
        type='ResizeEdge',
        scale=256,
        edge='short',
        backend='pillow',
        interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        level=82,
        ann_file='yoga_train_clean.txt',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        level=82,
        ann_file='yoga_test_clean.txt',
        pipeline=test_pipeline))
val_evaluator = dict(type='Accuracy', topk=(1, 5))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
