# DINO (./dino_vit-p16.py) with the CPU recipes' ViT
# (./vit-tiny-p8-convstem.py): drop path 0.1, a projection head
# 192-512-512-128 -> 1024 prototypes with a normalised last layer frozen in
# the first epoch, student T 0.1, teacher T warmed up from 0.04 to 0.07,
# centre momentum 0.9 (DINO's main_dino.py, the widths scaled down to the
# 192-wide ViT). Teacher momentum 0.99 -> 1 rather than 0.996: these runs
# take hundreds of steps, not DINO's hundreds of thousands, and MoCo v3's
# CPU recipe uses 0.99 too. This recipe collapses (loss ln 1024): at
# random init the class tokens of these 32 px images are nearly parallel
# (mean pairwise cosine 0.999), so the centred teacher is uniform.
# model.neck.use_bn=True (DINO's use_bn_in_head) gives it entropy 5.0 at
# init and the loss falls to 5.7 in the first epoch, but it still
# collapses in the second (screening runs in configs/dilemma/README.md).
# More time does not help: DILEMMA + DINO at 4x the demo's budget (20
# epochs) has loss_dino = ln 1024 from epoch 3 to the end.
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
    head=dict(out_channels=out_channels))
