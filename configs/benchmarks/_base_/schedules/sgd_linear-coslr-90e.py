# MoCo v3's linear-probing schedule as mmpretrain runs it: SGD lr 12 for a
# total batch of 1024 (8 x 128), momentum 0.9, no weight decay, cosine over
# 90 epochs. Scale with --auto-scale-lr for another batch size.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=12, momentum=0.9, weight_decay=0.))

param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=90, by_epoch=True, begin=0, end=90)
]

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=90, val_interval=1)
val_cfg = dict()
test_cfg = dict()

auto_scale_lr = dict(base_batch_size=1024)
