# DILEMMA + SimCLR, ViT-S/16 on ImageNet-1K: the recipe of
# ../simclr/simclr_vit-small-p16_16xb256-amp-coslr-300e_in1k.py (the
# same-recipe baseline). SimCLR has no teacher: both views are encoded
# sparsely (drop 0.75: 49 of 196 tokens) with each kept token misplaced
# with probability 0.2, and the misplacement loss is taken on both.
_base_ = [
    '../simclr/simclr_vit-small-p16_16xb256-amp-coslr-300e_in1k.py',
    '../_base_/dilemma.py',
]

train_pipeline = [
    *_base_.train_pipeline[:-1], _base_.token_drop, _base_.pack_layout
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
model = dict(
    type='DilemmaSimCLR',
    backbone=dict(type='DilemmaMoCoV3ViT'),
    misplacement_head=_base_.misplacement_head)
