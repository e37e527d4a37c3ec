# The MAE ViT-B/16 baseline, exactly mmpretrain's recipe (mask ratio 0.75,
# 8-block 512-wide decoder, normalised-pixel L2 loss, AdamW lr 1.5e-4 x
# 4096 / 256, betas (0.9, 0.95), wd 0.05, 300 epochs with 40 warm-up), run
# in our scope beside the DILEMMA configs it is compared with.
_base_ = 'mmpretrain::mae/mae_vit-base-p16_8xb512-amp-coslr-300e_in1k.py'

default_scope = 'dilemma_mm'

# mmpretrain's pipeline, with bad image files skipped and named
# (BadImageHook, added by tools/train.py, stops above 1 % of an epoch).
train_pipeline = [
    dict(type='LoadImageFromFileSafe'),
    dict(
        type='RandomResizedCrop',
        scale=224,
        crop_ratio_range=(0.2, 1.0),
        backend='pillow',
        interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackInputs')
]
train_dataloader = dict(drop_last=True, dataset=dict(pipeline=train_pipeline))
