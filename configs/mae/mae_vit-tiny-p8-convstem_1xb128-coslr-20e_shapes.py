# MAE on the built-in shape data, sized for a CPU: the CPU recipes' ViT
# with its convolutional stem as encoder (4 of 16 tokens visible), MAE's
# crop and flip, decoder and normalised-pixel loss, the CPU schedule
# stretched to 20 epochs with MAE's betas (0.9, 0.95) and weight decay
# 0.05, none on norms, biases and tokens. An MAE step sees 4 tokens, so 20
# epochs take about the minutes of the other algorithms' 8 (6 of MoCo
# v3's): at 8 epochs the pair had a third of the demo's budget and barely
# learned (configs/dilemma/README.md). The mask is drawn in the data pipeline
# (TokenDropTransform with misplace_prob=0), as for
# ../dilemma/dilemma-mae_vit-tiny-p8-convstem_1xb128-coslr-20e_shapes.py,
# whose steps cost the same: MAE's encoder is sparse already.
_base_ = [
    '../_base_/models/mae_vit-tiny-p8-convstem.py',
    '../_base_/datasets/shapes32_bs128_mae.py',
    '../_base_/schedules/adamw_bs128_coslr-8e_cpu.py',
    '../_base_/default_runtime.py',
]

mask = dict(
    type='TokenDropTransform',
    drop_ratio=_base_.mask_ratio,
    misplace_prob=0.,
    patch_size=8)
train_pipeline = [
    *_base_.train_pipeline[:-1], mask,
    dict(type='PackInputs', algorithm_keys=['keep', 'pos'])
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

optim_wrapper = dict(
    optimizer=dict(betas=(0.9, 0.95), weight_decay=0.05),
    paramwise_cfg=dict(
        custom_keys={
            'ln': dict(decay_mult=0.0),
            'bias': dict(decay_mult=0.0),
            'pos_embed': dict(decay_mult=0.),
            'mask_token': dict(decay_mult=0.),
            'cls_token': dict(decay_mult=0.)
        }))
param_scheduler = [_base_.warmup, dict(_base_.cosine, T_max=19, end=20)]
train_cfg = dict(max_epochs=20)
default_hooks = dict(logger=dict(interval=10))
