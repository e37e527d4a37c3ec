# SimCLR with the CPU recipes' ViT (./vit-tiny-p8-convstem.py): SimCLR's
# 2-layer projector to 128 and NT-Xent with T 0.1 over the batch.
_base_ = './vit-tiny-p8-convstem.py'

model = dict(
    type='SimCLR',
    backbone=_base_.backbone,
    neck=dict(
        type='NonLinearNeck',
        in_channels=_base_.embed_dims,
        hid_channels=512,
        out_channels=128,
        num_layers=2,
        with_avg_pool=False),
    head=dict(
        type='ContrastiveHead',
        loss=dict(type='CrossEntropyLoss'),
        temperature=0.1))
