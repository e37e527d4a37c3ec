# DINO baseline, ViT-B/16 on ImageNet-1K (DINO's paper trains ViT-S and
# ViT-B): the recipe of dino_vit-small-p16_8xb64-amp-coslr-100e_in1k.py with
# the 768-wide, 12-layer, 12-head ViT-B/16.
_base_ = [
    '../_base_/models/dino_vit-p16.py',
    '../_base_/datasets/imagenet_bs64_dino.py',
    '../_base_/schedules/adamw_bs512_coslr-100e_dino.py',
    '../_base_/default_runtime.py',
]

model = dict(
    data_preprocessor={{_base_.data_preprocessor}},
    backbone=dict(arch='base'),  # ViT-B: 768 wide, 12 layers, 12 heads
    neck=dict(in_channels=768))
