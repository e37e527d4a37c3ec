# DILEMMA + SimCLR on the built-in shape data, sized for a CPU: the recipe
# of ../simclr/simclr_vit-tiny-p8-convstem_1xb128-coslr-6e_shapes.py with
# both views sparse (drop 0.5: 8 of 16 tokens) and misplaced (p = 0.2), and
# a linear misplacement head on the patch tokens of both (SimCLR has no
# teacher to see the clean views). The misplacement loss is weighted 5:
# SimCLR's NT-Xent at T = 0.1 sends the backbone gradients about 5x those
# of MoCo v3's 2T-scaled loss at T = 0.2, and at weight 1 the detection
# stayed at the prior (BCE 0.49, accuracy 0.80, AUC 0.66; weight 5 reached
# accuracy 0.93 within 4 epochs, configs/dilemma/README.md).
_base_ = [
    '../simclr/simclr_vit-tiny-p8-convstem_1xb128-coslr-6e_shapes.py',
    '../_base_/dilemma_cpu.py',
]

train_pipeline = [
    *_base_.train_pipeline[:-1], _base_.token_drop, _base_.pack_layout
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
model = dict(
    type='DilemmaSimCLR',
    misplacement_head=dict(_base_.misplacement_head, loss_weight=5.0))

param_scheduler = [_base_.warmup, dict(_base_.cosine, T_max=7, end=8)]
train_cfg = dict(max_epochs=8)
