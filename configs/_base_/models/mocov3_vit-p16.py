# MoCo v3 with a ViT on 224 px images and 16 px patches (mmpretrain's
# recipe). The config sets the ViT: backbone.arch and neck.in_channels.
temperature = 0.2
# the 3-layer projector; the 2-layer predictor is the same MLP after it
projector = dict(
    type='NonLinearNeck',
    hid_channels=4096,
    out_channels=256,
    num_layers=3,
    with_bias=False,
    with_last_bn=True,
    with_last_bn_affine=False,
    with_last_bias=False,
    with_avg_pool=False)
model = dict(
    type='MoCoV3',
    base_momentum=0.01,  # momentum 0.99 -> 1
    backbone=dict(
        type='MoCoV3ViT', img_size=224, patch_size=16, stop_grad_conv1=True),
    neck=projector,
    head=dict(
        type='MoCoV3Head',
        predictor=dict(projector, in_channels=256, num_layers=2),
        loss=dict(type='CrossEntropyLoss', loss_weight=2 * temperature),
        temperature=temperature))
