# DILEMMA + MoCo v3, ViT-B/16 on ImageNet-1K: the ViT-S recipe of
# dilemma-mocov3_vit-small-p16_16xb256-amp-coslr-300e_in1k.py on mmpretrain's
# MoCo v3 ViT-B/16 baseline (../mocov3/). The authors note that bigger models
# take larger sparsity; 0.75 keeps the recipes comparable.
_base_ = [
    '../mocov3/mocov3_vit-base-p16_16xb256-amp-coslr-300e_in1k.py',
    '../_base_/dilemma.py',
]

train_pipeline = [
    *_base_.train_pipeline[:-1], _base_.token_drop, _base_.pack_layout
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
model = dict(
    type='DilemmaMoCoV3',
    backbone=dict(type='DilemmaMoCoV3ViT'),
    misplacement_head=_base_.misplacement_head)
