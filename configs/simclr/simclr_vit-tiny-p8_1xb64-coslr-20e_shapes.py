# SimCLR baseline on the built-in shape data, sized for CPU: the data, views
# and schedule of the MoCo v3 CPU recipe (../mocov3/mocov3_vit-tiny-p8_1xb64-
# coslr-20e_shapes.py) with SimCLR's model: a 4-layer, 192-wide ViT on 64 px
# images with 8 px patches (64 tokens), a 2-layer projector and NT-Xent
# with T 0.1.
_base_ = [
    '../_base_/datasets/shapes_bs64_mocov3.py',
    '../_base_/schedules/adamw_bs64_coslr-20e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='SimCLR',
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
        num_layers=2,
        with_avg_pool=False),
    head=dict(
        type='ContrastiveHead',
        loss=dict(type='CrossEntropyLoss'),
        temperature=0.1))

default_hooks = dict(logger=dict(interval=10))
