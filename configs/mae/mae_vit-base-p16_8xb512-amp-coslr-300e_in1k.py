# The MAE ViT-B/16 baseline, mmpretrain's recipe (mask ratio 0.75, 8-block
# 512-wide decoder, normalised-pixel L2 loss, AdamW lr 1.5e-4 x 4096 / 256,
# betas (0.9, 0.95), wd 0.05, 300 epochs with 40 warm-up), run in our scope
# beside the DILEMMA configs it is compared with.
_base_ = [
    '../_base_/models/mae_vit-p16.py',
    '../_base_/datasets/imagenet_bs512_mae.py',
    '../_base_/schedules/adamw_bs4096_coslr-300e_mae.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(arch='b'),  # ViT-B: 768 wide, 12 layers, 12 heads
    neck=dict(embed_dim=768))

# mmpretrain's MAE runtime: log every 100 iterations, a seed per rank, and
# resume from the work directory's last checkpoint
default_hooks = dict(logger=dict(interval=100))
randomness = dict(seed=0, diff_rank_seed=True)
resume = True
