# YOGA-82 linear probing at all three levels at once: the recipe of
# vit-small-p16_dilemma-mocov3-300e-pre_8xb32-linear-coslr-100e_yoga82-82.py
# with one linear classifier per level (6, 20, 82) on the shared normalised
# class token, their losses summed, and top-1 / top-5 of every level
# (level6/top1 ... level82/top5).
_base_ = './vit-small-p16_dilemma-mocov3-300e-pre_8xb32-linear-coslr-100e_yoga82-82.py'  # noqa: E501

label_keys = ['gt_label_6', 'gt_label_20', 'gt_label_82']
pack = dict(type='PackInputs', algorithm_keys=label_keys)
train_pipeline = [*_base_.train_pipeline[:-1], pack]
test_pipeline = [*_base_.test_pipeline[:-1], pack]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

model = dict(
    head=dict(
        _delete_=True,
        type='HierarchicalClsHead',
        in_channels=384,
        num_classes=(6, 20, 82),
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        init_cfg=dict(type='Normal', std=0.01, layer='Linear')))
val_evaluator = dict(_delete_=True, type='HierarchicalAccuracy', topk=(1, 5))
test_evaluator = val_evaluator
