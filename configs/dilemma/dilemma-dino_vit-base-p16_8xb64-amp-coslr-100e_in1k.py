# DILEMMA + DINO, ViT-B/16 on ImageNet-1K: the ViT-S/16 recipe of
# dilemma-dino_vit-small-p16_8xb64-amp-coslr-100e_in1k.py with ViT-B/16, as
# the baseline ../dino/dino_vit-base-p16_8xb64-amp-coslr-100e_in1k.py.
_base_ = './dilemma-dino_vit-small-p16_8xb64-amp-coslr-100e_in1k.py'

model = dict(
    backbone=dict(arch='base'),  # ViT-B: 768 wide, 12 layers, 12 heads
    neck=dict(in_channels=768))
