# DINO baseline, ViT-B/16 on ImageNet-1K (DINO's paper trains ViT-S and
# ViT-B): the recipe of dino_vit-small-p16_8xb64-amp-coslr-100e_in1k.py with
# the 768-wide, 12-layer, 12-head ViT-B/16.
_base_ = [
    '../_base_/datasets/imagenet_bs64_dino.py',
    '../_base_/schedules/adamw_bs512_coslr-100e_dino.py',
    '../_base_/default_runtime.py',
]

out_channels = 65536
model = dict(
    type='DINO',
    base_momentum=0.004,  # teacher momentum 0.996 -> 1
    num_global_crops=2,
    freeze_last_layer_epochs=1,
    data_preprocessor={{_base_.data_preprocessor}},
    backbone=dict(
        type='VisionTransformer',
        arch='base',  # ViT-B: 768 wide, 12 layers, 12 heads
        img_size=224,
        patch_size=16,
        drop_path_rate=0.1,
        out_type='cls_token'),
    neck=dict(
        type='DINONeck',
        in_channels=768,
        out_channels=out_channels,
        hidden_channels=2048,
        bottleneck_channels=256,
        norm_last_layer=True),
    head=dict(
        type='DINOHead',
        out_channels=out_channels,
        student_temp=0.1,
        teacher_temp=0.04,
        center_momentum=0.9))
