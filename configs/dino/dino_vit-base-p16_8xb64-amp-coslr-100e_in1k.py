# DINO baseline, ViT-B/16 on ImageNet-1K (DINO's paper trains ViT-S and
# ViT-B): the recipe of dino_vit-small-p16_8xb64-amp-coslr-100e_in1k.py with
# the 768-wide, 12-layer, 12-head ViT-B/16.
_base_ = './dino_vit-small-p16_8xb64-amp-coslr-100e_in1k.py'

model = dict(
    backbone=dict(arch='base'),  # ViT-B: 768 wide, 12 layers, 12 heads
    neck=dict(in_channels=768))
