# MAE baseline, ViT-S/16 on ImageNet-1K: mmpretrain's MAE recipe of
# mae_vit-base-p16_8xb512-amp-coslr-300e_in1k.py (MAE's paper starts at
# ViT-B) with the ViT-S/16 encoder (384 wide, 12 layers, 6 heads) the other
# DILEMMA comparisons use; the decoder stays MAE's (8 blocks, 512 wide).
_base_ = './mae_vit-base-p16_8xb512-amp-coslr-300e_in1k.py'

model = dict(
    backbone=dict(arch='deit-small'),  # ViT-S: 384 wide, 12 layers
    neck=dict(embed_dim=384))
