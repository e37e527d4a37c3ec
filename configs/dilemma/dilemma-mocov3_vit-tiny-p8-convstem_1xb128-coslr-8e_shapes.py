# DILEMMA + MoCo v3 on the built-in shape data, sized for a CPU: the recipe
# of ../mocov3/mocov3_vit-tiny-p8-convstem_1xb128-coslr-6e_shapes.py with
# the online encoder on sparse (drop 0.5: 8 of 16 tokens), misplaced
# (p = 0.2) views and a linear misplacement head on its patch tokens; the
# momentum encoder sees the clean, dense views. Its 8 epochs take about
# the time of the baseline's 6 on two CPU cores (measured ratio in
# configs/dilemma/README.md). `make demo` runs it.
_base_ = [
    '../mocov3/mocov3_vit-tiny-p8-convstem_1xb128-coslr-6e_shapes.py',
    '../_base_/dilemma_cpu.py',
]

train_pipeline = [
    *_base_.train_pipeline[:-1], _base_.token_drop, _base_.pack_layout
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
model = dict(type='DilemmaMoCoV3', misplacement_head=_base_.misplacement_head)

param_scheduler = [_base_.warmup, dict(_base_.cosine, T_max=7, end=8)]
train_cfg = dict(max_epochs=8)
