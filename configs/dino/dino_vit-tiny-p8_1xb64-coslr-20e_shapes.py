# DINO baseline on the built-in shape data, sized for CPU: the schedule and
# data of the MoCo v3 CPU recipe (../mocov3/mocov3_vit-tiny-p8_1xb64-coslr-
# 20e_shapes.py) with DINO's model, multi-crop (2 global crops of 64 px and
# 4 local crops of 32 px), weight-decay schedule and a teacher temperature
# warmed up from 0.04 to 0.07 over 5 epochs. A 4-layer, 192-wide ViT with
# 8 px patches: 64 tokens per global crop, 16 per local crop.
_base_ = '../mocov3/mocov3_vit-tiny-p8_1xb64-coslr-20e_shapes.py'

multi_crop = dict(
    type='DINOMultiCrop',
    global_crop_size=64,
    local_crop_size=32,
    num_local_crops=4,
    global_crop_scale=(0.4, 1.0),
    local_crop_scale=(0.05, 0.4))
train_pipeline = [
    dict(type='LoadImageFromFileSafe'),  # skips unreadable files
    multi_crop,
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

out_channels = 1024
model = dict(
    _delete_=True,
    type='DINO',
    base_momentum=0.004,
    freeze_last_layer_epochs=1,
    backbone=dict(
        type='VisionTransformer',
        arch={{_base_.model.backbone.arch}},  # 192 wide, 4 layers
        img_size=64,
        patch_size=8,
        drop_path_rate=0.1,
        out_type='cls_token'),
    neck=dict(
        type='DINONeck',
        in_channels=192,
        out_channels=out_channels,
        hidden_channels=512,
        bottleneck_channels=128),
    head=dict(type='DINOHead', out_channels=out_channels))

optim_wrapper = dict(
    optimizer=dict(weight_decay=0.04),
    clip_grad=dict(max_norm=3.0),
    paramwise_cfg=dict(norm_decay_mult=0., bias_decay_mult=0.))
custom_hooks = [
    dict(
        type='DINOTeacherTempWarmupHook',
        warmup_teacher_temp=0.04,
        teacher_temp=0.07,
        warmup_epochs=5),
]
# The lr schedule of the base, plus DINO's per-iteration weight decay:
# cosine from 0.04 to 10 x 0.04.
param_scheduler = _base_.param_scheduler + [
    dict(
        type='CosineAnnealingParamScheduler',
        param_name='weight_decay',
        eta_min_ratio=10.,
        by_epoch=True,
        begin=0,
        end=20,
        convert_to_iter_based=True),
]
