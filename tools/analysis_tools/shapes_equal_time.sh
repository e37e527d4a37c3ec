#!/usr/bin/env bash
# DILEMMA + X against X (X = ALGO: mocov3, dino, simclr or mae) on the
# built-in shape data at (about) equal training time, over several seeds,
# next to the same backbone at random initialisation: pretrain each, then
# k-NN, a linear probe and the occlusion curves of the probe (patches
# zeroed and shuffled).
#
#   [ALGO=dino] [EQUAL_TIME_S=480] bash tools/analysis_tools/shapes_equal_time.sh [OUT_DIR] [SEEDS...]
#
# Equal time: DILEMMA runs DILEMMA_EPOCHS, the baseline BASELINE_EPOCHS,
# each with its schedule fitted to its epochs by tools/train.py --epochs
# (default: the configs' own, which are equal-time pairs on two CPU
# cores). OUT_DIR, DATA and PYTHON are paths as the shell that starts the
# script means them. DATA defaults to the textured shape data, generated
# if the folder does not exist.
# The two counts come from the speed ratio measured on this machine:
#   python tools/analysis_tools/benchmark_throughput.py BASELINE DILEMMA \
#       --batch-size 128 --equal-time-epochs 6
# A wall-clock budget (BUDGET_S) caps both. The summary prints the minutes
# each run took: check that they match. The ratio is the model's step
# alone; where the data pipeline shares the cores (2 CPU cores) or the
# machine changes, the minutes drift from it. EQUAL_TIME_S=S gives both
# pretrainings S seconds instead: each fits its epochs (and its schedule)
# to them after timing its first epoch (BudgetEpochBasedTrainLoop
# fit_schedule=True), and the epochs above become caps (default in this
# mode: 3x the configs' own). It plans one epoch more than fits whole and
# the budget cuts it (fit_rounding=ceil), so both train S seconds, their
# learning rates stopped within the last epoch of the cosine. It fits
# again after every later epoch from the mean epoch time since the second,
# which has no start-up in it: fitted from the first alone, a run whose
# later epochs are faster ended early (MAE, 800 s: 12.85 min against
# 13.28 for DILEMMA + MAE), and fitted from the second alone, one whose
# epochs slowed had its cosine cut (DILEMMA + SimCLR, 1680 s: epoch 31.1
# of 34).
# A seed whose evaluation finished is skipped when the script runs again,
# and a killed pretraining resumes. The k-NN also fits a converged linear
# classifier on its features (knn_eval.py --linear); a seed evaluated
# before that, or before its weight-decay grid reached 1e-7, gets only
# this, on its checkpoint.
# FEATURE=patch_mean evaluates (k-NN, probe, occlusion) the mean of the
# final-normed patch tokens instead of the class token (FEATURE=cls_token,
# the default), into files of their own (knn_patch_mean.json,
# probe_patch_mean/, probe_patch_mean.json, occlusion_patch_mean.json); a
# seed evaluated before with either feature is not pretrained again: its
# checkpoint is evaluated as it is.
# PRETRAIN_OPTS adds --cfg-options to both pretrainings, one a word, e.g.
# PRETRAIN_OPTS=default_hooks.checkpoint.max_keep_ckpts=-1 keeps every
# epoch's checkpoint for a learning curve (knn_eval.py on each).
# FINETUNE=1 also fine-tunes every checkpoint, the random initialisation
# included, for 5 epochs (all layers; configs/benchmarks/*-ft-*_shapes.py)
# into finetune/ and finetune.json: the paper's measure for DILEMMA + MAE.
# A seed evaluated before gets only the fine-tuning, on its checkpoint.
# Summarise with tools/analysis_tools/summarize_equal_time.py OUT_DIR.
set -euo pipefail
# Paths the caller typed mean what they mean in the caller's directory.
absolute() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
OUT=$(absolute "${1:-work_dirs/shapes_equal_time}")
DATA=$(absolute "${DATA:-data/shapes_textured}")
case ${PYTHON:-} in */*) PYTHON=$(absolute "$PYTHON") ;; esac
cd "$(dirname "$0")/../.."
shift || true
SEEDS=${*:-0 1 2}
PY=${PYTHON:-.venv/bin/python}
ALGO=${ALGO:-mocov3}
BUDGET_S=${BUDGET_S:-900}
PROBE=configs/benchmarks/vit-tiny-p8-convstem_dilemma-mocov3-8e-pre_1xb128-linear-coslr-5e_shapes.py
FINETUNE_CFG=configs/benchmarks/vit-tiny-p8-convstem_dilemma-mocov3-8e-pre_1xb128-ft-coslr-5e_shapes.py
FEATURE=${FEATURE:-cls_token}
FINETUNE=${FINETUNE:-}
case $FINETUNE in
    ''|0|1) ;;
    *) echo "FINETUNE=$FINETUNE: give 1 to fine-tune, 0 or nothing not to" >&2
       exit 2 ;;
esac
# Per feature: the suffix of its files (the class token keeps the names of
# the first runs) and the probe options that read it.
case $FEATURE in
    cls_token) suffix= probe_feature= ;;
    patch_mean) suffix=_patch_mean
        probe_feature="model.backbone.out_type=featmap
                       model.neck.type=PatchMeanBatchNormNeck" ;;
    *) echo "FEATURE=$FEATURE: choose cls_token or patch_mean" >&2; exit 2 ;;
esac
# The pair's configs: the one CPU recipe of each in its folder.
baseline=$(ls configs/$ALGO/${ALGO}_vit-tiny-p8-convstem_*_shapes.py 2>/dev/null) ||
    { echo "ALGO=$ALGO: no configs/$ALGO/${ALGO}_vit-tiny-p8-convstem_*_shapes.py" >&2; exit 2; }
dilemma=$(ls configs/dilemma/dilemma-${ALGO}_vit-tiny-p8-convstem_*_shapes.py)
# The configs' own epochs: the number before 'e_' in their names.
epochs_of() { basename "$1" | sed -E 's/.*-([0-9]+)e_shapes\.py/\1/'; }
declare -A CONFIG=([dilemma-$ALGO]=$dilemma [$ALGO]=$baseline
                   [random-init]=$baseline)
EQUAL_TIME_S=${EQUAL_TIME_S:-}
budget_opts=(train_cfg.time_budget_s="$BUDGET_S")
cap=1  # the configs' epochs, times 3 as caps when the time is fitted
if [ -n "$EQUAL_TIME_S" ]; then
    [[ $EQUAL_TIME_S =~ ^[0-9]+([.][0-9]+)?$ ]] && [[ ! $EQUAL_TIME_S =~ ^0*[.]?0*$ ]] ||
        { echo "EQUAL_TIME_S=$EQUAL_TIME_S: give the seconds of pretraining, e.g. 480" >&2; exit 2; }
    budget_opts=(train_cfg.time_budget_s="$EQUAL_TIME_S"
                 train_cfg.fit_schedule=True train_cfg.fit_rounding=ceil)
    cap=3
fi
declare -A EPOCHS=(
    [dilemma-$ALGO]=${DILEMMA_EPOCHS:-$((cap * $(epochs_of "$dilemma")))}
    [$ALGO]=${BASELINE_EPOCHS:-$((cap * $(epochs_of "$baseline")))})
METHODS=${METHODS:-dilemma-$ALGO $ALGO random-init}

# An existing folder is used as it is (make_shapes.py would replace one of
# other sizes).
[ -e "$DATA" ] || $PY tools/dataset_converters/make_shapes.py --out "$DATA" \
    --style "${STYLE:-textured}" --workers 2
for seed in $SEEDS; do
    for method in $METHODS; do
        run=$OUT/$method/seed$seed
        evaluated=false finetuned=true linear=true
        [ -f "$run/occlusion$suffix.json" ] && evaluated=true
        [ "$FINETUNE" = 1 ] && [ ! -f "$run/finetune.json" ] && finetuned=false
        # A k-NN from before --linear, or from before its weight-decay grid
        # reached 1e-7 (no linear_weight_decay_at_edge): its features get
        # the linear fit.
        $evaluated &&
            ! grep -q '"linear_weight_decay_at_edge"' "$run/knn$suffix.json" &&
            linear=false
        if $evaluated && $finetuned && $linear; then
            echo "$method seed $seed: $FEATURE done before, skipped"
            continue
        fi
        mkdir -p "$run"
        if compgen -G "$run/occlusion*.json" > /dev/null; then
            # Evaluated with another feature: the same weights. Resuming
            # would train a budgeted run further.
            ckpt=$run/random_init.pth
            [ "$method" = random-init ] ||
                ckpt=$(cat "$run/pretrain/last_checkpoint")
        elif [ "$method" = random-init ]; then
            ckpt=$run/random_init.pth
            $PY tools/misc/save_random_init.py "${CONFIG[$method]}" "$ckpt" \
                --seed "$seed" --force > "$run.pretrain.log" 2>&1
        else
            $PY tools/train.py "${CONFIG[$method]}" \
                --work-dir "$run/pretrain" --resume \
                --epochs "${EPOCHS[$method]}" --cfg-options \
                randomness.seed="$seed" \
                train_dataloader.dataset.data_root="$DATA" \
                train_cfg.type=BudgetEpochBasedTrainLoop \
                "${budget_opts[@]}" ${PRETRAIN_OPTS:-} \
                > "$run.pretrain.log" 2>&1
            ckpt=$(cat "$run/pretrain/last_checkpoint")
        fi
        # The evaluations' options: this checkpoint, this seed, this data.
        eval_opts=(model.backbone.init_cfg.checkpoint="$ckpt"
                   randomness.seed="$seed"
                   train_dataloader.dataset.data_root="$DATA"
                   val_dataloader.dataset.data_root="$DATA"
                   test_dataloader.dataset.data_root="$DATA")
        if ! $evaluated || ! $linear; then
            $PY tools/analysis_tools/knn_eval.py "${CONFIG[$method]}" \
                "$ckpt" --feature "$FEATURE" --linear \
                --out "$run/knn$suffix.json" \
                --cfg-options train_dataloader.dataset.data_root="$DATA" \
                > "$run.knn$suffix.log" 2>&1
            $evaluated && echo "$method seed $seed ($FEATURE): converged" \
                "linear $(grep -o '"linear_top1": [0-9.]*' \
                    "$run/knn$suffix.json")"
        fi
        if ! $evaluated; then
            # $probe_feature is unquoted: one option a word.
            probe_opts=("${eval_opts[@]}" $probe_feature)
            probe=$run/probe$suffix
            $PY tools/train.py $PROBE --work-dir "$probe" --force \
                --cfg-options "${probe_opts[@]}" \
                > "$run.probe$suffix.log" 2>&1
            probe_ckpt=$(cat "$probe/last_checkpoint")
            $PY tools/test.py $PROBE "$probe_ckpt" --work-dir "$probe" \
                --cfg-options "${probe_opts[@]}" | tail -1 > "$probe.json"
            $PY tools/analysis_tools/occlusion_eval.py $PROBE "$probe_ckpt" \
                --mode both --out "$run/occlusion$suffix.png" \
                --seed "$seed" --cfg-options "${probe_opts[@]}" \
                > "$run.occlusion$suffix.log" 2>&1
            knn=$(grep -o '"knn_top1": [0-9.]*' "$run/knn$suffix.json")
            echo "$method seed $seed ($FEATURE): $knn," \
                "probe $(cat "$probe.json")"
        fi
        if ! $finetuned; then
            $PY tools/train.py $FINETUNE_CFG --work-dir "$run/finetune" \
                --force --cfg-options "${eval_opts[@]}" \
                > "$run.finetune.log" 2>&1
            $PY tools/test.py $FINETUNE_CFG \
                "$(cat "$run/finetune/last_checkpoint")" \
                --work-dir "$run/finetune" --cfg-options "${eval_opts[@]}" |
                tail -1 > "$run/finetune.json"
            echo "$method seed $seed: fine-tune $(cat "$run/finetune.json")"
        fi
    done
done
