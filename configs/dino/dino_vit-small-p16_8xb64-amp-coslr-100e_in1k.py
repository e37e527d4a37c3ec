# DINO baseline, ViT-S/16 on ImageNet-1K: the defaults of DINO's
# main_dino.py (its README's ViT-S/16 100-epoch run on 8 GPUs x 64 images):
# 2 global crops (224 px, scale 0.4-1) + 8 local crops (96 px, 0.05-0.4),
# projection head 2048-2048-256 -> 65536 with a normalised last layer frozen
# in the first epoch, student T 0.1, teacher T 0.04, centre momentum 0.9,
# teacher momentum 0.996 -> 1 (cosine), AdamW lr 5e-4 x batch / 256 with 10
# warm-up epochs and a cosine to 1e-6, weight decay 0.04 -> 0.4 (cosine, not
# on norms and biases), drop path 0.1, fp16, gradient clipping 3.0 (by the
# global norm here; DINO clips every parameter's gradient on its own).
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
