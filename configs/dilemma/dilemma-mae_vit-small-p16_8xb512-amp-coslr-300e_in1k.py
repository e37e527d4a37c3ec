# DILEMMA + MAE, ViT-S/16 on ImageNet-1K: the ViT-B/16 recipe of
# dilemma-mae_vit-base-p16_8xb512-amp-coslr-300e_in1k.py with ViT-S/16, as
# the baseline ../mae/mae_vit-small-p16_8xb512-amp-coslr-300e_in1k.py.
_base_ = './dilemma-mae_vit-base-p16_8xb512-amp-coslr-300e_in1k.py'

model = dict(
    backbone=dict(arch='deit-small'),  # ViT-S: 384 wide, 12 layers
    neck=dict(embed_dim=384))
