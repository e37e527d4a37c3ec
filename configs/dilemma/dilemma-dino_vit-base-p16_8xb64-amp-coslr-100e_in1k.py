# DILEMMA + DINO, ViT-B/16 on ImageNet-1K: the ViT-S/16 recipe of
# dilemma-dino_vit-small-p16_8xb64-amp-coslr-100e_in1k.py with ViT-B/16, as
# the baseline ../dino/dino_vit-base-p16_8xb64-amp-coslr-100e_in1k.py.
_base_ = '../dino/dino_vit-base-p16_8xb64-amp-coslr-100e_in1k.py'

drop_ratio = 0.75
misplace_prob = 0.2
patch_size = 16

train_pipeline = [
    dict(type='LoadImageFromFileSafe'),  # skips bad files
    {{_base_.multi_crop}},
    # after the crops: every crop gets its own keep/pos on its own grid
    dict(
        type='TokenDropTransform',
        drop_ratio=drop_ratio,
        misplace_prob=misplace_prob,
        patch_size=patch_size),
    dict(type='PackInputs', algorithm_keys=['keep', 'pos']),
]
train_dataloader = dict(drop_last=True, dataset=dict(pipeline=train_pipeline))

model = dict(
    type='DilemmaDINO',
    backbone=dict(type='DilemmaViT', patch_size=patch_size),
    misplacement_head=dict(type='MisplacementHead', loss_weight=1.0))
