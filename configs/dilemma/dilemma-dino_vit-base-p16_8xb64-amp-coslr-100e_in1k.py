# DILEMMA + DINO, ViT-B/16 on ImageNet-1K: the ViT-S/16 recipe of
# dilemma-dino_vit-small-p16_8xb64-amp-coslr-100e_in1k.py with ViT-B/16, as
# the baseline ../dino/dino_vit-base-p16_8xb64-amp-coslr-100e_in1k.py.
_base_ = [
    '../dino/dino_vit-base-p16_8xb64-amp-coslr-100e_in1k.py',
    '../_base_/dilemma.py',
]

train_pipeline = [
    *_base_.train_pipeline[:-1], _base_.token_drop, _base_.pack_layout
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
model = dict(
    type='DilemmaDINO',
    backbone=dict(type='DilemmaViT'),
    misplacement_head=_base_.misplacement_head)
