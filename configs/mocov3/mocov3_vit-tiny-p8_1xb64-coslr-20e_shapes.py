# MoCo v3 baseline on the built-in shape data, sized for CPU: a 4-layer,
# 192-wide ViT on 64 px images with 8 px patches (64 tokens).
_base_ = [
    '../_base_/datasets/shapes_bs64_mocov3.py',
    '../_base_/schedules/adamw_bs64_coslr-20e.py',
    '../_base_/default_runtime.py',
]

temperature = 0.2
model = dict(
    type='MoCoV3',
    base_momentum=0.01,
    backbone=dict(
        type='MoCoV3ViT',
        arch=dict(
            embed_dims=192,
            num_layers=4,
            num_heads=3,
            feedforward_channels=768),
        img_size=64,
        patch_size=8,
        stop_grad_conv1=True),
    neck=dict(
        type='NonLinearNeck',
        in_channels=192,
        hid_channels=512,
        out_channels=128,
        num_layers=3,
        with_bias=False,
        with_last_bn=True,
        with_last_bn_affine=False,
        with_last_bias=False,
        with_avg_pool=False),
    head=dict(
        type='MoCoV3Head',
        predictor=dict(
            type='NonLinearNeck',
            in_channels=128,
            hid_channels=512,
            out_channels=128,
            num_layers=2,
            with_bias=False,
            with_last_bn=True,
            with_last_bn_affine=False,
            with_last_bias=False,
            with_avg_pool=False),
        loss=dict(type='CrossEntropyLoss', loss_weight=2 * temperature),
        temperature=temperature))

default_hooks = dict(logger=dict(interval=10))
