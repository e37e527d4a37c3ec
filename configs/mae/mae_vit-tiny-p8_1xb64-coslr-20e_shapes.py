# MAE baseline on the built-in shape data, sized for CPU: the data loader
# and schedule of the MoCo v3 CPU recipe (../mocov3/mocov3_vit-tiny-p8_1xb64-
# coslr-20e_shapes.py) with MAE's model and single-view augmentation: a
# 4-layer, 192-wide ViT with 8 px patches (16 of 64 tokens visible), a
# 2-block, 128-wide decoder and the normalised-pixel L2 loss.
_base_ = [
    '../_base_/datasets/shapes_bs64_mocov3.py',
    '../_base_/schedules/adamw_bs64_coslr-20e.py',
    '../_base_/default_runtime.py',
]

patch_size = 8
crop = dict(
    type='RandomResizedCrop',
    scale=64,
    crop_ratio_range=(0.2, 1.0),
    backend='pillow',
    interpolation='bicubic')
flip = dict(type='RandomFlip', prob=0.5)
train_pipeline = [
    dict(type='LoadImageFromFileSafe'), crop, flip,
    dict(type='PackInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

model = dict(
    type='MAE',
    backbone=dict(
        type='MAEViT',
        arch=dict(
            embed_dims=192,
            num_layers=4,
            num_heads=3,
            feedforward_channels=768),
        img_size=64,
        patch_size=patch_size,
        mask_ratio=0.75),
    neck=dict(
        type='MAEPretrainDecoder',
        num_patches=64,
        patch_size=patch_size,
        embed_dim=192,
        decoder_embed_dim=128,
        decoder_depth=2,
        decoder_num_heads=4),
    head=dict(
        type='MAEPretrainHead',
        norm_pix=True,
        patch_size=patch_size,
        loss=dict(type='PixelReconstructionLoss', criterion='L2')),
    init_cfg=[
        dict(type='Xavier', layer='Linear', distribution='uniform'),
        dict(type='Constant', layer='LayerNorm', val=1.0, bias=0.0)
    ])

optim_wrapper = dict(
    optimizer=dict(betas=(0.9, 0.95), weight_decay=0.05),
    paramwise_cfg=dict(
        custom_keys={
            'ln': dict(decay_mult=0.0),
            'bias': dict(decay_mult=0.0),
            'pos_embed': dict(decay_mult=0.),
            'mask_token': dict(decay_mult=0.),
            'cls_token': dict(decay_mult=0.)
        }))

default_hooks = dict(logger=dict(interval=10))
