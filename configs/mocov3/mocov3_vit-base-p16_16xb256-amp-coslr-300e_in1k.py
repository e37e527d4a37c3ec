# The MoCo v3 ViT-B/16 baseline, mmpretrain's recipe, run in our scope.
_base_ = './mocov3_vit-small-p16_16xb256-amp-coslr-300e_in1k.py'

model = dict(
    backbone=dict(arch='base'),  # 768 wide, 12 layers, 12 heads
    neck=dict(in_channels=768))
