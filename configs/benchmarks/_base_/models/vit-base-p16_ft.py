# Full fine-tuning of a pretrained ViT-B/16 (768 wide, 12 layers, 12 heads)
# on its class token: vit-small-p16_ft.py on the wider backbone (drop path
# 0.1, label smoothing 0.1, Mixup 0.8 / CutMix 1.0). Pass the pretraining
# checkpoint with --cfg-options model.backbone.init_cfg.checkpoint=PATH.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='DilemmaViT',
        arch='base',
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
        in_channels=768,
        loss=dict(
            type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
        init_cfg=[dict(type='TruncNormal', layer='Linear', std=2e-5)]),
    train_cfg=dict(augments=[
        dict(type='Mixup', alpha=0.8),
        dict(type='CutMix', alpha=1.0)
    ]))
