# DILEMMA + MAE on the built-in shape data, sized for a CPU: the recipe of
# ../mae/mae_vit-tiny-p8-convstem_1xb128-coslr-20e_shapes.py with each
# visible token misplaced with probability 0.2 and the misplacement loss
# (weight 1) on the encoder's output; the decoder puts every token back at
# its true place. The same steps as MAE's: the same epochs are the same
# time.
_base_ = '../mae/mae_vit-tiny-p8-convstem_1xb128-coslr-20e_shapes.py'

train_pipeline = [
    *_base_.train_pipeline[:-2],
    dict(_base_.mask, misplace_prob=0.2), _base_.train_pipeline[-1]
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
model = dict(misplacement_head=dict(loss_weight=1.0))
