# DINO with a ViT on 224 px images and 16 px patches (DINO's main_dino.py
# defaults): drop path 0.1, projection head 2048-2048-256 -> 65536 with a
# normalised last layer frozen in the first epoch, student T 0.1, teacher
# T 0.04, centre momentum 0.9, teacher momentum 0.996 -> 1. The config sets
# the ViT: backbone.arch and neck.in_channels.
out_channels = 65536
model = dict(
    type='DINO',
    base_momentum=0.004,  # teacher momentum 0.996 -> 1
    num_global_crops=2,
    freeze_last_layer_epochs=1,
    backbone=dict(
        type='VisionTransformer',
        img_size=224,
        patch_size=16,
        drop_path_rate=0.1,
        out_type='cls_token'),
    neck=dict(
        type='DINONeck',
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
