# ImageNet-1K linear probing of a DILEMMA + MoCo v3 ViT-B/16
# (../dilemma/dilemma-mocov3_vit-base-p16_16xb256-amp-coslr-300e_in1k.py):
# the ViT-S recipe on the 768-wide backbone.
_base_ = './vit-small-p16_dilemma-mocov3-300e-pre_8xb128-linear-coslr-90e_in1k.py'  # noqa: E501

model = dict(
    backbone=dict(arch='base', frozen_stages=12),  # 768 wide, 12 layers
    neck=dict(input_features=768),
    head=dict(in_channels=768))
