# MAE baseline, ViT-S/16 on ImageNet-1K: mmpretrain's MAE recipe of
# mae_vit-base-p16_8xb512-amp-coslr-300e_in1k.py (MAE's paper starts at
# ViT-B) with the ViT-S/16 encoder (384 wide, 12 layers, 6 heads) the other
# DILEMMA comparisons use; the decoder stays MAE's (8 blocks, 512 wide).
_base_ = [
    '../_base_/models/mae_vit-p16.py',
    '../_base_/datasets/imagenet_bs512_mae.py',
    '../_base_/schedules/adamw_bs4096_coslr-300e_mae.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(arch='deit-small'),  # ViT-S: 384 wide, 12 layers
    neck=dict(embed_dim=384))

# mmpretrain's MAE runtime: log every 100 iterations, a seed per rank, and
# resume from the work directory's last checkpoint
default_hooks = dict(logger=dict(interval=100))
randomness = dict(seed=0, diff_rank_seed=True)
resume = True
