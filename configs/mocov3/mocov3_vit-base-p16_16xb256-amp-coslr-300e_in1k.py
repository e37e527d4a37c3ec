# The MoCo v3 ViT-B/16 baseline, mmpretrain's recipe, run in our scope.
_base_ = [
    '../_base_/models/mocov3_vit-p16.py',
    '../_base_/datasets/imagenet_bs256_mocov3.py',
    '../_base_/schedules/adamw_bs4096_coslr-300e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(arch='base'),  # 768 wide, 12 layers, 12 heads
    neck=dict(in_channels=768))

# mmpretrain's runtime: log every 100 iterations, no fixed seed
default_hooks = dict(logger=dict(interval=100))
randomness = dict(seed=None)
