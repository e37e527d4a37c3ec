# DILEMMA + MoCo v3, ViT-B/16 on ImageNet-1K: the ViT-S recipe of
# dilemma-mocov3_vit-small-p16_16xb256-amp-coslr-300e_in1k.py on mmpretrain's
# MoCo v3 ViT-B/16 baseline (../mocov3/). The authors note that bigger models
# take larger sparsity; 0.75 keeps the recipes comparable.
_base_ = './dilemma-mocov3_vit-small-p16_16xb256-amp-coslr-300e_in1k.py'

model = dict(
    backbone=dict(arch='base'),  # 768 wide, 12 layers, 12 heads
    neck=dict(in_channels=768))
