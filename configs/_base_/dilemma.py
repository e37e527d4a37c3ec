# DILEMMA's end of a recipe's pipeline (224 px, 16 px patches: 196 tokens):
# after the views are made, every view gets its own keep/pos on its own
# grid (drop 0.75: 49 tokens kept, each misplaced with probability 0.2),
# then PackInputs carries them to the model, whose linear misplacement
# head reads the encoder's patch tokens. A recipe ends its baseline's
# pipeline with them:
#   train_pipeline = [
#       *_base_.train_pipeline[:-1], _base_.token_drop, _base_.pack_layout
#   ]
drop_ratio = 0.75
misplace_prob = 0.2
patch_size = 16
token_drop = dict(
    type='TokenDropTransform',
    drop_ratio=drop_ratio,
    misplace_prob=misplace_prob,
    patch_size=patch_size)
pack_layout = dict(type='PackInputs', algorithm_keys=['keep', 'pos'])
misplacement_head = dict(type='MisplacementHead', loss_weight=1.0)
