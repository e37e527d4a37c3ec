# DILEMMA + MAE, ViT-B/16 on ImageNet-1K: mmpretrain's MAE recipe of
# ../mae/mae_vit-base-p16_8xb512-amp-coslr-300e_in1k.py (the baseline).
# The data pipeline draws MAE's mask: TokenDropTransform keeps 49 of 196
# tokens (drop_ratio = MAE's mask_ratio 0.75) and misplaces each kept one
# with probability 0.2. The encoder sees the kept tokens at their given
# positions, a linear misplacement head reads its output, and the decoder
# puts every token back at its true place to reconstruct the dropped ones.
# With misplace_prob=0 this is MAE (same loss on the same masks).
# Same training time: MAE's encoder already sees only the visible tokens, so
# a DILEMMA step costs what an MAE step costs and this 300-epoch config is
# also the same-time variant (factor 1.01, no separate config). Measured:
#   B=configs/mae D=configs/dilemma
#   python tools/analysis_tools/benchmark_throughput.py \
#       $B/mae_vit-base-p16_8xb512-amp-coslr-300e_in1k.py \
#       $D/dilemma-mae_vit-base-p16_8xb512-amp-coslr-300e_in1k.py \
#       --batch-size 4 --rounds 7 --steps 1
#   -> 3.44 vs 3.49 images/s (1.01x) on CPU; ViT-S at batch 8: 6.42 vs
#   6.45 images/s (1.00x).
_base_ = [
    '../mae/mae_vit-base-p16_8xb512-amp-coslr-300e_in1k.py',
    '../_base_/dilemma.py',
]

train_pipeline = [
    *_base_.train_pipeline[:-1], _base_.token_drop, _base_.pack_layout
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
model = dict(
    type='DilemmaMAE',
    # MAE's mask is the pipeline's drop
    backbone=dict(type='DilemmaMAEViT', mask_ratio=_base_.drop_ratio),
    misplacement_head=_base_.misplacement_head)
