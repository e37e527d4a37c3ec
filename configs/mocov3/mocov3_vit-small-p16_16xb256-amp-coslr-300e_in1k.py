# The MoCo v3 ViT-S/16 baseline, mmpretrain's recipe (lr 2.4e-3 for batch
# 4096 = 1.5e-4 x 4096 / 256, AdamW wd 0.1, 300 epochs with 40 warm-up,
# T 0.2, momentum 0.99 -> 1), run in our scope so it trains through our tools
# beside the DILEMMA configs it is compared with.
_base_ = [
    '../_base_/models/mocov3_vit-p16.py',
    '../_base_/datasets/imagenet_bs256_mocov3.py',
    '../_base_/schedules/adamw_bs4096_coslr-300e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(arch='mocov3-small'),  # 384 wide, 12 layers, 12 heads
    neck=dict(in_channels=384))

# mmpretrain's runtime: log every 100 iterations, no fixed seed
default_hooks = dict(logger=dict(interval=100))
randomness = dict(seed=None)
