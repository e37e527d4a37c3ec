# DILEMMA + SimCLR on the built-in shape data, sized for CPU: the recipe of
# ../simclr/simclr_vit-tiny-p8_1xb64-coslr-20e_shapes.py with both views
# sparse (drop 0.75 of 64 tokens) and misplaced (p = 0.2), and a linear
# misplacement head on the patch tokens of both.
_base_ = '../simclr/simclr_vit-tiny-p8_1xb64-coslr-20e_shapes.py'

drop_ratio = 0.75
misplace_prob = 0.2
patch_size = 8

train_pipeline = [
    dict(type='LoadImageFromFileSafe'),  # skips unreadable files
    dict(type='MultiView', num_views=2, transforms=[{{_base_.view_pipeline}}]),
    dict(
        type='TokenDropTransform',
        drop_ratio=drop_ratio,
        misplace_prob=misplace_prob,
        patch_size=patch_size),
    dict(type='PackInputs', algorithm_keys=['keep', 'pos']),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

model = dict(
    type='DilemmaSimCLR',
    backbone=dict(type='DilemmaMoCoV3ViT'),
    misplacement_head=dict(type='MisplacementHead', loss_weight=1.0))
