# ImageNet-1K fine-tuning of a DILEMMA + MoCo v3 ViT-B/16: the ViT-S recipe
# with MAE's layer decay of 0.65 for ViT-B.
_base_ = './vit-small-p16_dilemma-mocov3-300e-pre_8xb128-ft-coslr-100e_in1k.py'  # noqa: E501

model = dict(backbone=dict(arch='base'), head=dict(in_channels=768))
optim_wrapper = dict(paramwise_cfg=dict(layer_decay_rate=0.65))
