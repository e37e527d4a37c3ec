# MoCo v3 with the CPU recipes' ViT (./vit-tiny-p8-convstem.py): a 3-layer
# projector and 2-layer predictor to 128, temperature 0.2, momentum 0.99 -> 1.
_base_ = './vit-tiny-p8-convstem.py'

temperature = 0.2
model = dict(
    type='MoCoV3',
    base_momentum=0.01,  # momentum 0.99 -> 1
    backbone=_base_.backbone,
    neck=dict(
        type='NonLinearNeck',
        in_channels=_base_.embed_dims,
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
find_unused_parameters = True
