# The MoCo v3 ViT-S/16 baseline, exactly mmpretrain's recipe (lr 2.4e-3 for
# batch 4096 = 1.5e-4 x 4096 / 256, AdamW wd 0.1, 300 epochs with 40 warm-up,
# T 0.2, momentum 0.99 -> 1), run in our scope so it trains through our tools
# beside the DILEMMA configs it is compared with.
_base_ = 'mmpretrain::mocov3/mocov3_vit-small-p16_16xb256-amp-coslr-300e_in1k.py'  # noqa: E501

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
