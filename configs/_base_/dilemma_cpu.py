# DILEMMA's end of a CPU recipe's pipeline (32 px, 8 px patches: 16 tokens):
# after the views are made, every view gets its own keep/pos on its own
# grid, then PackInputs carries them to the model. Drop 0.5 rather than the
# paper's 0.75: with 16 tokens 0.75 would leave 4, a quarter of the image.
drop_ratio = 0.5
misplace_prob = 0.2
token_drop = dict(
    type='TokenDropTransform',
    drop_ratio=drop_ratio,
    misplace_prob=misplace_prob,
    patch_size=8)
pack_layout = dict(type='PackInputs', algorithm_keys=['keep', 'pos'])
misplacement_head = dict(type='MisplacementHead', loss_weight=1.0)
