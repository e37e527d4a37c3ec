# The CPU schedule of the shape recipes: AdamW lr 1.5e-4 x 64 / 256 x 4
# (MoCo v3's rule, x 4 for the short run), wd 0.1, 2 warm-up epochs, then a
# cosine to epoch 20.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1.5e-4 * 64 / 256 * 4, weight_decay=0.1))
# frozen patch projections and DINO's first-epoch frozen last layer leave
# parameters without gradients
find_unused_parameters = True

param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-4,
        by_epoch=True,
        begin=0,
        end=2,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=18,
        by_epoch=True,
        begin=2,
        end=20,
        convert_to_iter_based=True)
]

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=20)
auto_scale_lr = dict(base_batch_size=64)
