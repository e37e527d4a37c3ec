# DILEMMA + MoCo v3 on the built-in shape data, sized for CPU: the MoCo v3
# recipe of ../mocov3/mocov3_vit-tiny-p8_1xb64-coslr-20e_shapes.py with the
# online encoder on sparse (drop 0.75 of 64 tokens), misplaced (p = 0.2)
# views and a linear misplacement head on its patch tokens.
_base_ = '../mocov3/mocov3_vit-tiny-p8_1xb64-coslr-20e_shapes.py'

drop_ratio = 0.75
misplace_prob = 0.2
patch_size = 8

view_pipeline = {{_base_.view_pipeline}}
train_pipeline = [
    dict(type='LoadImageFromFileSafe'),  # skips unreadable files
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    # after MultiView: every view gets its own keep/pos on its own grid
    dict(
        type='TokenDropTransform',
        drop_ratio=drop_ratio,
        misplace_prob=misplace_prob,
        patch_size=patch_size),
    dict(type='PackInputs', algorithm_keys=['keep', 'pos']),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

model = dict(
    type='DilemmaMoCoV3',
    backbone=dict(
        _delete_=True,
        type='DilemmaMoCoV3ViT',
        arch=dict(
            embed_dims=192,
            num_layers=4,
            num_heads=3,
            feedforward_channels=768),
        img_size=64,
        patch_size=patch_size,
        stop_grad_conv1=True),
    misplacement_head=dict(type='MisplacementHead', loss_weight=1.0))
