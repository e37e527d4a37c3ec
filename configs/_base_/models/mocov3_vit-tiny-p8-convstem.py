# MoCo v3 with the CPU recipes' ViT: 4 layers, 192 wide, 3 heads, a
# convolutional stem (ConvStem, trained) on 32 px images cut into 8 px
# patches (16 tokens), fixed 2D sin-cos positions.
temperature = 0.2
embed_dims = 192
model = dict(
    type='MoCoV3',
    base_momentum=0.01,  # momentum 0.99 -> 1
    backbone=dict(
        type='DilemmaViT',
        arch=dict(
            embed_dims=embed_dims,
            num_layers=4,
            num_heads=3,
            feedforward_channels=4 * embed_dims),
        img_size=32,
        patch_size=8,
        pos_embed_type='sincos',
        conv_stem_channels=[24, 48, 96]),
    neck=dict(
        type='NonLinearNeck',
        in_channels=embed_dims,
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
