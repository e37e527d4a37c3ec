# DILEMMA + MAE, ViT-S/16 on ImageNet-1K: the ViT-B/16 recipe of
# dilemma-mae_vit-base-p16_8xb512-amp-coslr-300e_in1k.py with ViT-S/16, as
# the baseline ../mae/mae_vit-small-p16_8xb512-amp-coslr-300e_in1k.py.
_base_ = '../mae/mae_vit-small-p16_8xb512-amp-coslr-300e_in1k.py'

mask_ratio = 0.75
misplace_prob = 0.2
patch_size = 16

train_pipeline = [
    dict(type='LoadImageFromFileSafe'),  # skips bad files
    dict(
        type='RandomResizedCrop',
        scale=224,
        crop_ratio_range=(0.2, 1.0),
        backend='pillow',
        interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='TokenDropTransform',
        drop_ratio=mask_ratio,
        misplace_prob=misplace_prob,
        patch_size=patch_size),
    dict(type='PackInputs', algorithm_keys=['keep', 'pos']),
]
train_dataloader = dict(drop_last=True, dataset=dict(pipeline=train_pipeline))

model = dict(
    type='DilemmaMAE',
    backbone=dict(type='DilemmaMAEViT', mask_ratio=mask_ratio),
    misplacement_head=dict(type='MisplacementHead', loss_weight=1.0))
