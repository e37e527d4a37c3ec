# DILEMMA + MAE on the built-in shape data, sized for CPU: the MAE recipe of
# ../mae/mae_vit-tiny-p8_1xb64-coslr-20e_shapes.py with MAE's mask drawn by
# TokenDropTransform (16 of 64 tokens visible), each visible token misplaced
# with probability 0.2 and a linear misplacement head on the encoder output.
_base_ = '../mae/mae_vit-tiny-p8_1xb64-coslr-20e_shapes.py'

mask_ratio = 0.75
misplace_prob = 0.2
patch_size = 8

train_pipeline = [
    dict(type='LoadImageFromFileSafe'),  # skips unreadable files
    {{_base_.crop}},
    {{_base_.flip}},
    dict(
        type='TokenDropTransform',
        drop_ratio=mask_ratio,
        misplace_prob=misplace_prob,
        patch_size=patch_size),
    dict(type='PackInputs', algorithm_keys=['keep', 'pos']),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

model = dict(
    type='DilemmaMAE',
    backbone=dict(type='DilemmaMAEViT', mask_ratio=mask_ratio),
    misplacement_head=dict(type='MisplacementHead', loss_weight=1.0))
