# DILEMMA + DINO, ViT-B/16 on ImageNet-1K, in the wall-clock time of the
# 100-epoch baseline ../dino/dino_vit-base-p16_8xb64-amp-coslr-100e_in1k.py:
# the recipe of dilemma-dino_vit-base-p16_8xb64-amp-coslr-100e_in1k.py trained
# for 236 epochs (the teacher-temperature and weight-decay schedules follow the
# longer run). Sparse inputs make DILEMMA's steps cheaper; measured with the
# benchmark tool (the same synthetic images through each config's own pipeline,
# full training steps, 7 interleaved rounds, CPU with 2 threads):
#   B=configs/dino D=configs/dilemma
#   python tools/analysis_tools/benchmark_throughput.py \
#       $B/dino_vit-base-p16_8xb64-amp-coslr-100e_in1k.py \
#       $D/dilemma-dino_vit-base-p16_8xb64-amp-coslr-100e_in1k.py \
#       --batch-size 4 --rounds 7 --steps 1
#   -> baseline 0.63 images/s, DILEMMA 1.49 images/s: 2.36x,
# so 100 x 2.36 = 236 epochs take the baseline's time. The 10-epoch warm-up is
# kept; the cosine decay stretches over the rest.
# CAUTION: this ratio is a CPU figure and GPU ratios measured for the
# other algorithms were far lower (MoCo v3 ViT-S 1.32x, DINO ViT-S 0.85x
# on one H100), so this count likely overshoots the baseline's GPU time.
# For a same-time run on your hardware, time the baseline and set
# train_cfg=dict(type='BudgetEpochBasedTrainLoop', time_budget_s=...).
_base_ = './dilemma-dino_vit-base-p16_8xb64-amp-coslr-100e_in1k.py'

max_epochs = 236
warmup_epochs = 10
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-4,
        by_epoch=True,
        begin=0,
        end=warmup_epochs,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs - warmup_epochs,
        eta_min=1e-6,
        by_epoch=True,
        begin=warmup_epochs,
        end=max_epochs,
        convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=max_epochs)
