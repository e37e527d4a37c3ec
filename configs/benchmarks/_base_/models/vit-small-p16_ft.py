# Full fine-tuning of a pretrained ViT-S/16 (MoCo v3's: 384 wide, 12 layers,
# 12 heads) on its class token, mmpretrain's ViT fine-tuning recipe: drop
# path 0.1, label smoothing 0.1, Mixup 0.8 / CutMix 1.0. Load the
# pretraining checkpoint's 'backbone.*' weights with
# --cfg-options model.backbone.init_cfg.checkpoint=PATH. The fixed sin-cos
# position embeddings of MoCo v3 / DILEMMA stay fixed; for a method with
# learned ones (DINO) add model.backbone.pos_embed_type=learned.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='DilemmaViT',
        arch=dict(
            embed_dims=384,
            num_layers=12,
            num_heads=12,
            feedforward_channels=384 * 4),
        img_size=224,
        patch_size=16,
        pos_embed_type='sincos',
        out_type='cls_token',
        drop_path_rate=0.1,
        init_cfg=dict(type='Pretrained', checkpoint='', prefix='backbone.')),
    neck=None,
    head=dict(
        type='VisionTransformerClsHead',
        num_classes=1000,
        in_channels=384,
        loss=dict(
            type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
        init_cfg=[dict(type='TruncNormal', layer='Linear', std=2e-5)]),
    train_cfg=dict(augments=[
        dict(type='Mixup', alpha=0.8),
        dict(type='CutMix', alpha=1.0)
    ]))
