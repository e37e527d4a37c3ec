# SimCLR baseline on the built-in shape data, sized for CPU: the data,
# views and schedule of the MoCo v3 CPU recipe (../mocov3/mocov3_vit-tiny-
# p8_1xb64-coslr-20e_shapes.py) with SimCLR's model: the same 4-layer,
# 192-wide ViT (64 tokens), a 2-layer projector and NT-Xent with T 0.1.
_base_ = '../mocov3/mocov3_vit-tiny-p8_1xb64-coslr-20e_shapes.py'

model = dict(
    _delete_=True,
    type='SimCLR',
    backbone=dict(
        type='MoCoV3ViT',
        arch={{_base_.model.backbone.arch}},  # 192 wide, 4 layers
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
