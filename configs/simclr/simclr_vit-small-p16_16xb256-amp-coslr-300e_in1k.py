# SimCLR baseline, ViT-S/16 on ImageNet-1K. mmpretrain's SimCLR recipes are
# ResNet-50 ones; for the ViT, as the MoCo v3 study trains SimCLR on ViTs
# and as DILEMMA compares them, this takes SimCLR's model and augmentations
# (mmpretrain's imagenet_bs32_simclr pipeline: two views, colour jitter 0.8,
# blur 0.5; 2-layer projector to 128, NT-Xent with T 0.1) and MoCo v3's ViT
# recipe: MoCo v3's ViT-S (384 wide, 12 layers, 12 heads, sin-cos
# positions, frozen patch projection), AdamW lr 1.5e-4 x batch / 256
# (2.4e-3 at 16 x 256), wd 0.1, 300 epochs with 40 of warm-up, fp16.
_base_ = [
    'mmpretrain::_base_/datasets/imagenet_bs32_simclr.py',
    '../_base_/default_runtime.py',
]

# Bad image files are skipped and named (BadImageHook, added by
# tools/train.py, stops above 1 % of an epoch); the last partial batch is
# dropped, as BatchNorm in the neck cannot train on one sample.
train_pipeline = [
    dict(type='LoadImageFromFileSafe'),
    dict(type='MultiView', num_views=2, transforms=[{{_base_.view_pipeline}}]),
    dict(type='PackInputs')
]
train_dataloader = dict(
    batch_size=256,
    num_workers=8,
    drop_last=True,
    dataset=dict(pipeline=train_pipeline))

model = dict(
    type='SimCLR',
    backbone=dict(
        type='MoCoV3ViT',
        arch='mocov3-small',  # 384 wide, 12 layers, 12 heads
        img_size=224,
        patch_size=16,
        stop_grad_conv1=True),
    neck=dict(
        type='NonLinearNeck',
        in_channels=384,
        hid_channels=2048,
        out_channels=128,
        num_layers=2,
        with_avg_pool=False),
    head=dict(
        type='ContrastiveHead',
        loss=dict(type='CrossEntropyLoss'),
        temperature=0.1))

optim_wrapper = dict(
    type='AmpOptimWrapper',
    loss_scale='dynamic',
    optimizer=dict(type='AdamW', lr=2.4e-3, weight_decay=0.1))
find_unused_parameters = True  # the frozen patch projection

param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-4,
        by_epoch=True,
        begin=0,
        end=40,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=260,
        by_epoch=True,
        begin=40,
        end=300,
        convert_to_iter_based=True)
]

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=300)
auto_scale_lr = dict(base_batch_size=4096)
