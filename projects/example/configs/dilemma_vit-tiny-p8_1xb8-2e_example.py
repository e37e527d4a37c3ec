# An outside project's config: mmpretrain's default scope and runtime, its
# own component (example_project.TemperatureMisplacementHead) and
# dilemma_mm's (DILEMMA, DilemmaViT, TokenDropTransform), all reached by
# their scope prefix once `custom_imports` has registered them. The
# misplacement loss alone (dilemma_mm.DILEMMA) trains a 2-layer ViT on
# 32 px crops of an image folder (ImageNet layout: data_root/train/<class>).
_base_ = 'mmpretrain::_base_/default_runtime.py'

default_scope = 'mmpretrain'
custom_imports = dict(
    imports=['dilemma_mm', 'example_project'], allow_failed_imports=False)

data_root = 'data/shapes/'
patch_size = 8

model = dict(
    type='dilemma_mm.DILEMMA',
    backbone=dict(
        type='dilemma_mm.DilemmaViT',
        arch=dict(
            embed_dims=64, num_layers=2, num_heads=2,
            feedforward_channels=128),
        img_size=32,
        patch_size=patch_size),
    misplacement_head=dict(
        type='example_project.TemperatureMisplacementHead', temperature=2.0),
    data_preprocessor=dict(
        type='SelfSupDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='RandomResizedCrop',
        scale=32,
        crop_ratio_range=(0.5, 1.),
        backend='pillow'),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='dilemma_mm.TokenDropTransform',
        drop_ratio=0.5,
        misplace_prob=0.2,
        patch_size=patch_size),
    dict(type='PackInputs', algorithm_keys=['keep', 'pos']),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='CustomDataset',
        data_root=data_root,
        data_prefix='train',
        pipeline=train_pipeline))

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05))
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=2)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=1),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=1))
