# SimCLR with a ViT on 224 px images and 16 px patches: SimCLR's 2-layer
# projector to 128 and NT-Xent with T 0.1 over the batch, on MoCo v3's ViT
# (sin-cos positions, frozen patch projection), as the MoCo v3 study trains
# SimCLR on ViTs. The config sets the ViT: backbone.arch and
# neck.in_channels.
model = dict(
    type='SimCLR',
    backbone=dict(
        type='MoCoV3ViT', img_size=224, patch_size=16, stop_grad_conv1=True),
    neck=dict(
        type='NonLinearNeck',
        hid_channels=2048,
        out_channels=128,
        num_layers=2,
        with_avg_pool=False),
    head=dict(
        type='ContrastiveHead',
        loss=dict(type='CrossEntropyLoss'),
        temperature=0.1))
