# Linear probe on the built-in shape data, sized for CPU (about a minute on
# two cores): the 4-layer, 192-wide ViT of the CPU pretraining configs
# (../dilemma/dilemma-mocov3_vit-tiny-p8_1xb64-coslr-20e_shapes.py and its
# MoCo v3 baseline in ../mocov3/) frozen, a BatchNorm without affine
# parameters and a linear classifier on the class token. Pass the
# pretraining checkpoint with
# --cfg-options model.backbone.init_cfg.checkpoint=work_dirs/.../epoch_20.pth
_base_ = [
    './_base_/datasets/shapes_bs64.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='DilemmaViT',
        arch=dict(
            embed_dims=192,
            num_layers=4,
            num_heads=3,
            feedforward_channels=768),
        img_size=64,
        patch_size=8,
        pos_embed_type='sincos',
        out_type='cls_token',
        frozen_stages=4,
        init_cfg=dict(type='Pretrained', checkpoint='', prefix='backbone.')),
    neck=dict(type='ClsBatchNormNeck', input_features=192),
    head=dict(
        type='VisionTransformerClsHead',
        num_classes=12,
        in_channels=192,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        init_cfg=dict(type='Normal', std=0.01, layer='Linear')))

# The MoCo v3 recipe (SGD, momentum 0.9, no weight decay, cosine) with the
# learning rate for batch 64 on BatchNorm-ed features.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=0.))
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        T_max=10,
        by_epoch=True,
        begin=0,
        end=10,
        convert_to_iter_based=True)
]

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=10, val_interval=5)
val_cfg = dict()
test_cfg = dict()

default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(type='CheckpointHook', interval=5, max_keep_ckpts=1))
auto_scale_lr = dict(base_batch_size=64)
