# The MAE ViT-B/16 baseline, mmpretrain's recipe (mask ratio 0.75, 8-block
# 512-wide decoder, normalised-pixel L2 loss, AdamW lr 1.5e-4 x 4096 / 256,
# betas (0.9, 0.95), wd 0.05, 300 epochs with 40 warm-up), run in our scope
# beside the DILEMMA configs it is compared with.
_base_ = [
    '../_base_/datasets/imagenet_bs512_mae.py',
    '../_base_/schedules/adamw_bs4096_coslr-300e_mae.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='MAE',
    backbone=dict(
        type='MAEViT',
        arch='b',  # ViT-B: 768 wide, 12 layers, 12 heads
        patch_size=16,
        mask_ratio=0.75),
    neck=dict(
        type='MAEPretrainDecoder',
        patch_size=16,
        in_chans=3,
        embed_dim=768,
        decoder_embed_dim=512,
        decoder_depth=8,
        decoder_num_heads=16,
        mlp_ratio=4.,
    ),
    head=dict(
        type='MAEPretrainHead',
        norm_pix=True,
        patch_size=16,
        loss=dict(type='PixelReconstructionLoss', criterion='L2')),
    init_cfg=[
        dict(type='Xavier', layer='Linear', distribution='uniform'),
        dict(type='Constant', layer='LayerNorm', val=1.0, bias=0.0)
    ])

# mmpretrain's MAE runtime: log every 100 iterations, a seed per rank, and
# resume from the work directory's last checkpoint
default_hooks = dict(logger=dict(interval=100))
randomness = dict(seed=0, diff_rank_seed=True)
resume = True
