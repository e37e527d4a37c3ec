# DINO (./dino_vit-p16.py) with the CPU recipes' ViT
# (./vit-tiny-p8-convstem.py): drop path 0.1, a projection head
# 192-512-512-128 -> 1024 prototypes with a normalised last layer frozen in
# the first epoch, student T 0.1, teacher T warmed up from 0.04 to 0.07
# (DINO's main_dino.py, the widths scaled down to the 192-wide ViT), and
# two parts of DINOv2: the teacher centred by Sinkhorn-Knopp and a KoLeo
# term (weight 0.1) on the student's class tokens. Teacher momentum
# 0.99 -> 1 rather than 0.996: these runs take hundreds of steps, not
# DINO's hundreds of thousands, and MoCo v3's CPU recipe uses 0.99 too.
# With DINO's running centre alone this recipe collapses (loss ln 1024
# from the second epoch, k-NN at random init's level, also at 4x the
# demo's budget): the teacher's scores barely differ between images, so
# the centred teacher is uniform and the student learns to be uniform.
# Screens of both parts, and of the other changes tried, are in
# configs/dilemma/README.md.
_base_ = ['./vit-tiny-p8-convstem.py', './dino_vit-p16.py']

out_channels = 1024
model = dict(
    base_momentum=0.01,
    backbone=dict(
        _base_.backbone,
        _delete_=True,
        drop_path_rate=0.1,
        out_type='cls_token'),
    neck=dict(
        in_channels=_base_.embed_dims,
        out_channels=out_channels,
        hidden_channels=512,
        bottleneck_channels=128),
    head=dict(out_channels=out_channels, centering='sinkhorn_knopp'),
    koleo_weight=0.1)
