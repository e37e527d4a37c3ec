# DILEMMA + SimCLR, ViT-S/16 on ImageNet-1K: the recipe of
# ../simclr/simclr_vit-small-p16_16xb256-amp-coslr-300e_in1k.py (the
# same-recipe baseline). SimCLR has no teacher: both views are encoded
# sparsely (drop 0.75: 49 of 196 tokens) with each kept token misplaced
# with probability 0.2, and the misplacement loss is taken on both.
_base_ = '../simclr/simclr_vit-small-p16_16xb256-amp-coslr-300e_in1k.py'

drop_ratio = 0.75
misplace_prob = 0.2
patch_size = 16

train_pipeline = [
    dict(type='LoadImageFromFileSafe'),  # skips bad files
    dict(type='MultiView', num_views=2, transforms=[{{_base_.view_pipeline}}]),
    dict(
        type='TokenDropTransform',
        drop_ratio=drop_ratio,
        misplace_prob=misplace_prob,
        patch_size=patch_size),
    dict(type='PackInputs', algorithm_keys=['keep', 'pos']),
]
train_dataloader = dict(drop_last=True, dataset=dict(pipeline=train_pipeline))

model = dict(
    type='DilemmaSimCLR',
    backbone=dict(type='DilemmaMoCoV3ViT'),
    misplacement_head=dict(type='MisplacementHead', loss_weight=1.0))
