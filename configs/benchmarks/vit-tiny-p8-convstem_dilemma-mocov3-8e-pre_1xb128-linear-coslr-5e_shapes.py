# Linear probe on the built-in shape data, sized for CPU (under a minute on
# two cores): the backbone of the CPU pretraining recipes
# (../dilemma/dilemma-mocov3_vit-tiny-p8-convstem_1xb128-coslr-8e_shapes.py
# and its MoCo v3 baseline) frozen, a BatchNorm without affine parameters
# and a linear classifier on the class token. Pass the pretraining
# checkpoint with
# --cfg-options model.backbone.init_cfg.checkpoint=work_dirs/.../epoch_8.pth;
# to probe the mean of the final-normed patch tokens instead of the class
# token (DILEMMA's loss trains the patch tokens, MAE's hardly the class
# token), add model.backbone.out_type=featmap
# model.neck.type=PatchMeanBatchNormNeck: the same BatchNorm on the mean,
# no new parameter, so the checkpoint loads whole. This works for every
# linear probe config here.
_base_ = [
    '../_base_/models/vit-tiny-p8-convstem.py',
    './_base_/datasets/shapes32_bs128.py',
    '../_base_/default_runtime.py',
]

embed_dims = _base_.embed_dims
model = dict(
    type='ImageClassifier',
    backbone=dict(
        _base_.backbone,
        out_type='cls_token',
        frozen_stages=4,
        init_cfg=dict(type='Pretrained', checkpoint='', prefix='backbone.')),
    neck=dict(type='ClsBatchNormNeck', input_features=embed_dims),
    head=dict(
        type='VisionTransformerClsHead',
        num_classes=12,
        in_channels=embed_dims,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        init_cfg=dict(type='Normal', std=0.01, layer='Linear')))

# The MoCo v3 recipe (SGD, momentum 0.9, no weight decay, cosine) with the
# learning rate for batch 128 on BatchNorm-ed features.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=0.))
max_epochs = 5
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs,
        by_epoch=True,
        begin=0,
        end=max_epochs,
        convert_to_iter_based=True)
]

train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=5)
val_cfg = dict()
test_cfg = dict()

default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(type='CheckpointHook', interval=5, max_keep_ckpts=1))
auto_scale_lr = dict(base_batch_size=128)
