# Fine-tuning on the built-in shape data, sized for CPU: the 4-layer,
# 192-wide ViT of the CPU pretraining configs, trained end to end with the
# ViT fine-tuning recipe scaled down (AdamW, layer decay 0.75, drop path
# 0.1, label smoothing, warm-up then cosine) for 10 epochs. Mixup and CutMix
# are left out: in 10 epochs on 3000 images they cost more than they give.
# Pass the pretraining checkpoint with
# --cfg-options model.backbone.init_cfg.checkpoint=work_dirs/.../epoch_20.pth
_base_ = [
    './_base_/datasets/shapes_bs64.py',
    './_base_/schedules/adamw_layer-decay-coslr-100e.py',
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
        drop_path_rate=0.1,
        init_cfg=dict(type='Pretrained', checkpoint='', prefix='backbone.')),
    neck=None,
    head=dict(
        type='VisionTransformerClsHead',
        num_classes=12,
        in_channels=192,
        loss=dict(
            type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
        init_cfg=[dict(type='TruncNormal', layer='Linear', std=2e-5)]))

optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-3,
        by_epoch=True,
        begin=0,
        end=1,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=9,
        by_epoch=True,
        begin=1,
        end=10,
        eta_min=1e-6,
        convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=10, val_interval=5)

default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(type='CheckpointHook', interval=5, max_keep_ckpts=1))
auto_scale_lr = dict(base_batch_size=64)
