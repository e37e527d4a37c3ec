# DILEMMA + MAE, ViT-S/16 on ImageNet-1K: the ViT-B/16 recipe of
# dilemma-mae_vit-base-p16_8xb512-amp-coslr-300e_in1k.py with ViT-S/16, as
# the baseline ../mae/mae_vit-small-p16_8xb512-amp-coslr-300e_in1k.py.
_base_ = [
    '../mae/mae_vit-small-p16_8xb512-amp-coslr-300e_in1k.py',
    '../_base_/dilemma.py',
]

train_pipeline = [
    *_base_.train_pipeline[:-1], _base_.token_drop, _base_.pack_layout
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
model = dict(
    type='DilemmaMAE',
    # MAE's mask is the pipeline's drop
    backbone=dict(type='DilemmaMAEViT', mask_ratio=_base_.drop_ratio),
    misplacement_head=_base_.misplacement_head)
