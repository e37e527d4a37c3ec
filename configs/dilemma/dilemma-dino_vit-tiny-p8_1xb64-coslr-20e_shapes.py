# DILEMMA + DINO on the built-in shape data, sized for CPU: the DINO recipe
# of ../dino/dino_vit-tiny-p8_1xb64-coslr-20e_shapes.py with the student on
# sparse (drop 0.75: 16 of 64 tokens of a global crop, 4 of 16 of a local
# one), misplaced (p = 0.2) crops and a linear misplacement head; the
# teacher sees the clean, dense global crops.
_base_ = '../dino/dino_vit-tiny-p8_1xb64-coslr-20e_shapes.py'

drop_ratio = 0.75
misplace_prob = 0.2
patch_size = 8

train_pipeline = [
    dict(type='LoadImageFromFileSafe'),  # skips unreadable files
    {{_base_.multi_crop}},
    dict(
        type='TokenDropTransform',
        drop_ratio=drop_ratio,
        misplace_prob=misplace_prob,
        patch_size=patch_size),
    dict(type='PackInputs', algorithm_keys=['keep', 'pos']),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

model = dict(
    type='DilemmaDINO',
    backbone=dict(type='DilemmaViT', patch_size=patch_size),
    misplacement_head=dict(type='MisplacementHead', loss_weight=1.0))
