# DILEMMA + DINO on the built-in shape data, sized for a CPU: the recipe of
# ../dino/dino_vit-tiny-p8-convstem_1xb128-coslr-6e_shapes.py with the
# student on sparse (drop 0.5: 8 of 16 tokens of a global crop, 2 of 4 of a
# local one, each crop on its own grid), misplaced (p = 0.2) crops and a
# linear misplacement head on its patch tokens; the teacher encodes the
# clean, dense global crops.
_base_ = [
    '../dino/dino_vit-tiny-p8-convstem_1xb128-coslr-6e_shapes.py',
    '../_base_/dilemma_cpu.py',
]

train_pipeline = [
    *_base_.train_pipeline[:-1], _base_.token_drop, _base_.pack_layout
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
model = dict(type='DilemmaDINO', misplacement_head=_base_.misplacement_head)

param_scheduler = [
    _base_.warmup,
    dict(_base_.cosine, T_max=7, end=8),
    dict(_base_.weight_decay, end=8)
]
train_cfg = dict(max_epochs=8)
