# DILEMMA + DINO, ViT-S/16 on ImageNet-1K: the DINO recipe of
# ../dino/dino_vit-small-p16_8xb64-amp-coslr-100e_in1k.py (the same-recipe
# baseline). The student encodes every crop sparsely (drop 0.75: 49 of 196
# tokens of a global crop, 9 of 36 of a local one, each crop on its own
# grid) with each kept token misplaced with probability 0.2, and a linear
# misplacement head reads its patch tokens; the teacher encodes the clean,
# dense global crops.
_base_ = [
    '../dino/dino_vit-small-p16_8xb64-amp-coslr-100e_in1k.py',
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
