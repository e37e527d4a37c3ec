# MoCo v3 on the built-in shape data, sized for a CPU (about 6.5 min on two
# cores): the CPU recipes' ViT with its convolutional stem on 32 px images
# (16 tokens), MoCo v3's two views and model, the CPU schedule for 6
# epochs. The baseline of
# ../dilemma/dilemma-mocov3_vit-tiny-p8-convstem_1xb128-coslr-8e_shapes.py,
# which runs 8 epochs in about the time of these 6.
_base_ = [
    '../_base_/models/mocov3_vit-tiny-p8-convstem.py',
    '../_base_/datasets/shapes32_bs128_mocov3.py',
    '../_base_/schedules/adamw_bs128_coslr-8e_cpu.py',
    '../_base_/default_runtime.py',
]

param_scheduler = [_base_.warmup, dict(_base_.cosine, T_max=5, end=6)]
train_cfg = dict(max_epochs=6)
default_hooks = dict(logger=dict(interval=10))
