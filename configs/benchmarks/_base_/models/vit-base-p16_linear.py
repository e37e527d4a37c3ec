# Linear probing of a pretrained ViT-B/16 (768 wide, 12 layers, 12 heads):
# vit-small-p16_linear.py on the wider backbone. Every stage frozen, the
# normed class token through MAE's affine-free BatchNorm into a linear
# classifier. Pass the pretraining checkpoint with
# --cfg-options model.backbone.init_cfg.checkpoint=PATH.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='DilemmaViT',
        arch='base',
        img_size=224,
        patch_size=16,
        pos_embed_type='sincos',
        out_type='cls_token',
        frozen_stages=12,
        init_cfg=dict(type='Pretrained', checkpoint='', prefix='backbone.')),
    neck=dict(type='ClsBatchNormNeck', input_features=768),
    head=dict(
        type='VisionTransformerClsHead',
        num_classes=1000,
        in_channels=768,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        init_cfg=dict(type='Normal', std=0.01, layer='Linear')))
