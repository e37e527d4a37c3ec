# ImageNet-100 (CMC's 100-class subset, read from the ImageNet folder) with
# the recipe of the _in1k config of the same name.
# Make the annotation files once with
#   python tools/dataset_converters/make_imagenet100.py data/imagenet
_base_ = './vit-small-p16_dilemma-mocov3-300e-pre_8xb128-ft-coslr-100e_in100.py'  # noqa: E501

model = dict(
    backbone=dict(arch='base'),  # ViT-B: 768 wide, 12 layers, 12 heads
    head=dict(in_channels=768))
optim_wrapper = dict(paramwise_cfg=dict(layer_decay_rate=0.65))
