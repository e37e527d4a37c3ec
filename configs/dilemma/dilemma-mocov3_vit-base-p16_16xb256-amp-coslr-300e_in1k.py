# DILEMMA + MoCo v3, ViT-B/16 on ImageNet-1K: the ViT-S recipe of
# dilemma-mocov3_vit-small-p16_16xb256-amp-coslr-300e_in1k.py on mmpretrain's
# MoCo v3 ViT-B/16 baseline (../mocov3/). The authors note that bigger models
# take larger sparsity; 0.75 keeps the recipes comparable.
_base_ = '../mocov3/mocov3_vit-base-p16_16xb256-amp-coslr-300e_in1k.py'

drop_ratio = 0.75
misplace_prob = 0.2
patch_size = 16

train_pipeline = [
    dict(type='LoadImageFromFileSafe'),  # skips bad files
    dict(
        type='MultiView',
        num_views=[1, 1],
        transforms=[{{_base_.view_pipeline1}}, {{_base_.view_pipeline2}}]),
    dict(
        type='TokenDropTransform',
        drop_ratio=drop_ratio,
        misplace_prob=misplace_prob,
        patch_size=patch_size),
    dict(type='PackInputs', algorithm_keys=['keep', 'pos']),
]
train_dataloader = dict(drop_last=True, dataset=dict(pipeline=train_pipeline))

model = dict(
    type='DilemmaMoCoV3',
    backbone=dict(
        _delete_=True,
        type='DilemmaMoCoV3ViT',
        arch='base',  # 768 wide, 12 layers, 12 heads
        img_size=224,
        patch_size=patch_size,
        stop_grad_conv1=True),
    misplacement_head=dict(type='MisplacementHead', loss_weight=1.0))
