# DINO (./dino_vit-p16.py) with the CPU recipes' ViT
# (./vit-tiny-p8-convstem.py): drop path 0.1, a projection head
# 192-512-512-128 -> 1024 prototypes with BatchNorm after its hidden layers
# (DINO's use_bn_in_head) and a normalised last layer frozen in the first
# epoch, student T 0.1, teacher T 0.04, centre momentum 0.9 (DINO's
# main_dino.py, the widths scaled down to the 192-wide ViT). Teacher
# momentum 0.99 -> 1 rather than 0.996: these runs take hundreds of steps,
# not DINO's hundreds of thousands, and MoCo v3's CPU recipe uses 0.99 too.
# Why BatchNorm: at random init the class tokens of these 32 px images are
# nearly parallel (mean pairwise cosine 0.999), so without it the centred
# teacher is uniform (entropy 6.929 of ln 1024 = 6.931) and DINO collapsed
# to ln 1024 within 30 steps; with it the teacher's entropy at init is 5.0
# (screening runs in configs/dilemma/README.md).
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
        use_bn=True,
        out_channels=out_channels,
        hidden_channels=512,
        bottleneck_channels=128),
    head=dict(out_channels=out_channels))
