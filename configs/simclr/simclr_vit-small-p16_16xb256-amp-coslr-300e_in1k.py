# SimCLR baseline, ViT-S/16 on ImageNet-1K. mmpretrain's SimCLR recipes are
# ResNet-50 ones; for the ViT, as the MoCo v3 study trains SimCLR on ViTs
# and as DILEMMA compares them, this takes SimCLR's model and augmentations
# (mmpretrain's imagenet_bs32_simclr pipeline: two views, colour jitter 0.8,
# blur 0.5; 2-layer projector to 128, NT-Xent with T 0.1) and MoCo v3's ViT
# recipe: MoCo v3's ViT-S (384 wide, 12 layers, 12 heads, sin-cos
# positions, frozen patch projection), AdamW lr 1.5e-4 x batch / 256
# (2.4e-3 at 16 x 256), wd 0.1, 300 epochs with 40 of warm-up, fp16.
_base_ = [
    '../_base_/models/simclr_vit-p16.py',
    '../_base_/datasets/imagenet_bs256_simclr.py',
    '../_base_/schedules/adamw_bs4096_coslr-300e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(arch='mocov3-small'),  # 384 wide, 12 layers, 12 heads
    neck=dict(in_channels=384))
