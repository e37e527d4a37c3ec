# The schedule of the CPU recipes: AdamW, lr 1e-3 at batch 128 (MoCo v3's
# 1.5e-4 x batch / 256 would be far too slow for minutes of training), wd
# 0.1, one warm-up epoch, then a cosine to the last epoch. A recipe with
# another length restates the cosine from the pieces:
#   param_scheduler = [_base_.warmup, dict(_base_.cosine, T_max=5, end=6)]
#   train_cfg = dict(max_epochs=6)
# (tools/train.py --epochs N refits it too).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.1))

warmup = dict(
    type='LinearLR',
    start_factor=1e-3,
    by_epoch=True,
    begin=0,
    end=1,
    convert_to_iter_based=True)
cosine = dict(
    type='CosineAnnealingLR',
    by_epoch=True,
    begin=1,
    convert_to_iter_based=True)
param_scheduler = [warmup, dict(cosine, T_max=7, end=8)]

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=8)
auto_scale_lr = dict(base_batch_size=128)
