# SimCLR (./simclr_vit-p16.py) with the CPU recipes' ViT
# (./vit-tiny-p8-convstem.py): SimCLR's 2-layer projector to 128 and
# NT-Xent with T 0.1 over the batch.
_base_ = ['./vit-tiny-p8-convstem.py', './simclr_vit-p16.py']

model = dict(
    backbone=dict(_base_.backbone, _delete_=True),
    neck=dict(in_channels=_base_.embed_dims, hid_channels=512))
