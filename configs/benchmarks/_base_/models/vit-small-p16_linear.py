# Linear probing of a pretrained ViT-S/16 (MoCo v3's: 384 wide, 12 layers,
# 12 heads): every backbone stage frozen, the normed class token through a
# BatchNorm without affine parameters (MAE's ClsBatchNormNeck; it keeps the
# probe linear and makes the learning rate insensitive to the feature scale
# of the method probed) into a linear classifier. DilemmaViT without
# keep/pos is mmpretrain's VisionTransformer and loads any pretraining
# checkpoint's 'backbone.*' weights: pass
# --cfg-options model.backbone.init_cfg.checkpoint=PATH.
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
        frozen_stages=12,
        init_cfg=dict(type='Pretrained', checkpoint='', prefix='backbone.')),
    neck=dict(type='ClsBatchNormNeck', input_features=384),
    head=dict(
        type='VisionTransformerClsHead',
        num_classes=1000,
        in_channels=384,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        init_cfg=dict(type='Normal', std=0.01, layer='Linear')))
