# The MoCo v3 ViT-B/16 baseline, exactly mmpretrain's recipe, run in our scope.
_base_ = 'mmpretrain::mocov3/mocov3_vit-base-p16_16xb256-amp-coslr-300e_in1k.py'  # noqa: E501

default_scope = 'dilemma_mm'

# Bad image files are skipped and named (BadImageHook, added by
# tools/train.py, stops above 1 % of an epoch); the last partial batch is
# dropped, as BatchNorm in the neck cannot train on one sample.
train_pipeline = [
    dict(type='LoadImageFromFileSafe'),
    dict(
        type='MultiView',
        num_views=[1, 1],
        transforms=[{{_base_.view_pipeline1}}, {{_base_.view_pipeline2}}]),
    dict(type='PackInputs'),
]
train_dataloader = dict(drop_last=True, dataset=dict(pipeline=train_pipeline))
