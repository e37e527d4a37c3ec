#!/usr/bin/env bash
# DILEMMA + MoCo v3 against MoCo v3 on the built-in shape data at (about)
# equal training time, over several seeds, next to the same backbone at
# random initialisation: pretrain each, then k-NN, a linear probe and the
# occlusion curves of the probe (patches zeroed and shuffled).
#
#   bash tools/analysis_tools/shapes_equal_time.sh [OUT_DIR] [SEEDS...]
#
# Equal time: DILEMMA runs DILEMMA_EPOCHS, MoCo v3 MOCOV3_EPOCHS, each with
# its schedule fitted to its epochs by tools/train.py --epochs (the
# configs' defaults, 8 and 6). OUT_DIR, DATA and PYTHON are paths as the
# shell that starts the script means them.
# The two counts come from the speed ratio measured on this machine:
#   python tools/analysis_tools/benchmark_throughput.py \
#       configs/mocov3/mocov3_vit-tiny-p8-convstem_1xb128-coslr-6e_shapes.py \
#       configs/dilemma/dilemma-mocov3_vit-tiny-p8-convstem_1xb128-coslr-8e_shapes.py \
#       --batch-size 128 --equal-time-epochs 6
# A wall-clock budget (BUDGET_S) caps both. The summary prints the minutes
# each run took: check that they match.
# Summarise with tools/analysis_tools/summarize_equal_time.py OUT_DIR.
set -euo pipefail
# Paths the caller typed mean what they mean in the caller's directory.
absolute() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
OUT=$(absolute "${1:-work_dirs/shapes_equal_time}")
DATA=$(absolute "${DATA:-data/shapes}")
case ${PYTHON:-} in */*) PYTHON=$(absolute "$PYTHON") ;; esac
cd "$(dirname "$0")/../.."
shift || true
SEEDS=${*:-0 1 2}
PY=${PYTHON:-.venv/bin/python}
DILEMMA_EPOCHS=${DILEMMA_EPOCHS:-8}
MOCOV3_EPOCHS=${MOCOV3_EPOCHS:-6}
BUDGET_S=${BUDGET_S:-900}
PROBE=configs/benchmarks/vit-tiny-p8-convstem_dilemma-mocov3-8e-pre_1xb128-linear-coslr-5e_shapes.py
declare -A CONFIG=(
    [dilemma-mocov3]=configs/dilemma/dilemma-mocov3_vit-tiny-p8-convstem_1xb128-coslr-8e_shapes.py
    [mocov3]=configs/mocov3/mocov3_vit-tiny-p8-convstem_1xb128-coslr-6e_shapes.py
    [random-init]=configs/mocov3/mocov3_vit-tiny-p8-convstem_1xb128-coslr-6e_shapes.py)
declare -A EPOCHS=([dilemma-mocov3]=$DILEMMA_EPOCHS [mocov3]=$MOCOV3_EPOCHS)
METHODS=${METHODS:-dilemma-mocov3 mocov3 random-init}

# An existing folder is used as it is (make_shapes.py would replace one of
# other sizes).
[ -e "$DATA" ] || $PY tools/dataset_converters/make_shapes.py --out "$DATA" \
    --workers 2
for seed in $SEEDS; do
    for method in $METHODS; do
        run=$OUT/$method/seed$seed
        mkdir -p "$run"
        if [ "$method" = random-init ]; then
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
                train_cfg.time_budget_s="$BUDGET_S" > "$run.pretrain.log" 2>&1
            ckpt=$(cat "$run/pretrain/last_checkpoint")
        fi
        $PY tools/analysis_tools/knn_eval.py "${CONFIG[$method]}" "$ckpt" \
            --out "$run/knn.json" --cfg-options \
            train_dataloader.dataset.data_root="$DATA" > "$run.knn.log" 2>&1
        probe_opts=(model.backbone.init_cfg.checkpoint="$ckpt"
                    randomness.seed="$seed"
                    train_dataloader.dataset.data_root="$DATA"
                    val_dataloader.dataset.data_root="$DATA"
                    test_dataloader.dataset.data_root="$DATA")
        $PY tools/train.py $PROBE --work-dir "$run/probe" --force \
            --cfg-options "${probe_opts[@]}" > "$run.probe.log" 2>&1
        probe_ckpt=$(cat "$run/probe/last_checkpoint")
        $PY tools/test.py $PROBE "$probe_ckpt" --work-dir "$run/probe" \
            --cfg-options "${probe_opts[@]}" | tail -1 > "$run/probe.json"
        $PY tools/analysis_tools/occlusion_eval.py $PROBE "$probe_ckpt" \
            --mode both --out "$run/occlusion.png" --seed "$seed" \
            --cfg-options "${probe_opts[@]}" > "$run.occlusion.log" 2>&1
        echo "$method seed $seed: $(grep -o '"knn_top1": [0-9.]*' \
            "$run/knn.json"), probe $(cat "$run/probe.json")"
    done
done
