# The MoCo v3 ViT-B/16 baseline, mmpretrain's recipe, run in our scope.
_base_ = [
    '../_base_/datasets/imagenet_bs256_mocov3.py',
    '../_base_/schedules/adamw_bs4096_coslr-300e.py',
    '../_base_/default_runtime.py',
]

temperature = 0.2
model = dict(
    type='MoCoV3',
    base_momentum=0.01,  # momentum 0.99 -> 1
    backbone=dict(
        type='MoCoV3ViT',
        arch='base',  # 768 wide, 12 layers, 12 heads
        img_size=224,
        patch_size=16,
        stop_grad_conv1=True),
    neck=dict(
        type='NonLinearNeck',
        in_channels=768,
        hid_channels=4096,
        out_channels=256,
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
            in_channels=256,
            hid_channels=4096,
            out_channels=256,
            num_layers=2,
            with_bias=False,
            with_last_bn=True,
            with_last_bn_affine=False,
            with_last_bias=False,
            with_avg_pool=False),
        loss=dict(type='CrossEntropyLoss', loss_weight=2 * temperature),
        temperature=temperature))

# mmpretrain's runtime: log every 100 iterations, no fixed seed
default_hooks = dict(logger=dict(interval=100))
randomness = dict(seed=None)
