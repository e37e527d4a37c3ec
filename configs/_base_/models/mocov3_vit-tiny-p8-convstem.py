# MoCo v3 (./mocov3_vit-p16.py) with the CPU recipes' ViT
# (./vit-tiny-p8-convstem.py): a 3-layer projector and 2-layer predictor to
# 128, temperature 0.2, momentum 0.99 -> 1.
_base_ = ['./vit-tiny-p8-convstem.py', './mocov3_vit-p16.py']

model = dict(
    backbone=dict(_base_.backbone, _delete_=True),
    neck=dict(
        in_channels=_base_.embed_dims, hid_channels=512, out_channels=128),
    head=dict(
        predictor=dict(in_channels=128, hid_channels=512, out_channels=128)))
find_unused_parameters = True
