# DINO baseline, ViT-S/16 on ImageNet-1K: the defaults of DINO's
# main_dino.py (its README's ViT-S/16 100-epoch run on 8 GPUs x 64 images):
# multi-crop and schedule of the bases below, projection head 2048-2048-256
# -> 65536 with a normalised last layer frozen in the first epoch, student
# T 0.1, teacher T 0.04, centre momentum 0.9, teacher momentum 0.996 -> 1
# (cosine), drop path 0.1.
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
        arch='deit-small',  # ViT-S: 384 wide, 12 layers, 6 heads
        img_size=224,
        patch_size=16,
        drop_path_rate=0.1,
        out_type='cls_token'),
    neck=dict(
        type='DINONeck',
        in_channels=384,
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
