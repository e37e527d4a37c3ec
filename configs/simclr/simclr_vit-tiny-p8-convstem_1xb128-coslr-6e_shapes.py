# SimCLR on the built-in shape data, sized for a CPU: the CPU recipes' ViT
# with its convolutional stem, SimCLR's two views and model (NT-Xent, T
# 0.1, 254 negatives per view at batch 128) and the CPU schedule for 6
# epochs (AdamW as MoCo v3's ViT recipe, not SimCLR's LARS). The baseline
# of ../dilemma/dilemma-simclr_vit-tiny-p8-convstem_1xb128-coslr-8e_shapes.py.
_base_ = [
    '../_base_/models/simclr_vit-tiny-p8-convstem.py',
    '../_base_/datasets/shapes32_bs128_simclr.py',
    '../_base_/schedules/adamw_bs128_coslr-8e_cpu.py',
    '../_base_/default_runtime.py',
]

param_scheduler = [_base_.warmup, dict(_base_.cosine, T_max=5, end=6)]
train_cfg = dict(max_epochs=6)
default_hooks = dict(logger=dict(interval=10))
