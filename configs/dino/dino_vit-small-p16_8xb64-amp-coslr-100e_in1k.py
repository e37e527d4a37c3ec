# DINO baseline, ViT-S/16 on ImageNet-1K: the defaults of DINO's
# main_dino.py (its README's ViT-S/16 100-epoch run on 8 GPUs x 64 images);
# the model, multi-crop and schedule are the bases below.
_base_ = [
    '../_base_/models/dino_vit-p16.py',
    '../_base_/datasets/imagenet_bs64_dino.py',
    '../_base_/schedules/adamw_bs512_coslr-100e_dino.py',
    '../_base_/default_runtime.py',
]

model = dict(
    data_preprocessor={{_base_.data_preprocessor}},
    backbone=dict(arch='deit-small'),  # ViT-S: 384 wide, 12 layers, 6 heads
    neck=dict(in_channels=384))
