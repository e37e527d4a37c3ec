#!/usr/bin/env bash
# A few minutes on one GPU, without ImageNet: the throughput benchmark of
# DILEMMA against its baselines at the configs' per-GPU batches, then a
# short --amp run of the paper-scale DILEMMA + MoCo v3 ViT-S/16 recipe
# through tools/dist_train.sh (torchrun, NCCL) on generated 256 px images,
# and a --resume for one more epoch.
#
#   bash tools/analysis_tools/gpu_smoke.sh [OUT_DIR]
#
# Every stage has its own time limit and appends to OUT_DIR/summary.txt, so
# a stage that fails or hangs does not hide the others. Sizes can be shrunk
# (e.g. to try it on a CPU): BENCH_BATCH_S, BENCH_BATCH_B, BENCH_BATCH_DINO,
# TRAIN_BATCH, TRAIN_IMAGES_PER_CLASS, WORKERS, and SKIP_BENCH=1; TRAIN_OPTS
# adds space-separated --cfg-options to both training runs (e.g. a smaller
# image: model.backbone.img_size=64 and the crops' scale).
# On one H100 80GB (torch 2.11, --amp) this gave MoCo v3 ViT-S 1.32x,
# ViT-B 1.58x and DINO ViT-S 0.85x, and trained at 0.16 s per iteration
# (README, Throughput).
set -u
# OUT_DIR (and PYTHON) mean what they mean in the caller's directory.
absolute() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
OUT=$(absolute "${1:-work_dirs/gpu_smoke}")
case ${PYTHON:-} in */*) PYTHON=$(absolute "$PYTHON") ;; esac
cd "$(dirname "$0")/../.."
PY=${PYTHON:-python}
export PYTHON=$PY PYTHONUNBUFFERED=1
DATA=$OUT/data
SUMMARY=$OUT/summary.txt
mkdir -p "$OUT"
log() { echo "== $* ($(date +%T))" | tee -a "$SUMMARY"; }

log "start"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv \
    2>/dev/null | tee -a "$SUMMARY"

# 12 shape classes at 256 px; ImageNet's 1000-name class list refuses a
# 12-folder tree, so an annotation file like IN-1K's meta/train.txt lists
# the images instead. It is written beside the generated folder, not into
# it: make_shapes.py refuses to regenerate a folder holding other files.
$PY tools/dataset_converters/make_shapes.py --out "$DATA" --size 256 \
    --num-train "${TRAIN_IMAGES_PER_CLASS:-400}" --num-val 1 \
    --workers "${WORKERS:-8}" | tail -1 | tee -a "$SUMMARY" &
DATA_PID=$!

bench() {  # name, seconds, batch, steps, baseline config, DILEMMA config
    local name=$1 limit=$2 batch=$3 steps=$4
    log "benchmark $name, batch $batch"
    timeout "$limit" $PY tools/analysis_tools/benchmark_throughput.py \
        "$5" "$6" --amp --batch-size "$batch" --warmup 3 --rounds 5 \
        --steps "$steps" --json "$OUT/bench_$name.json" \
        > "$OUT/bench_$name.log" 2>&1
    echo "exit $?" | tee -a "$SUMMARY"
    grep -E '^\||^batch' "$OUT/bench_$name.log" | tee -a "$SUMMARY"
}
if [ -z "${SKIP_BENCH:-}" ]; then
    bench mocov3_vit-s 180 "${BENCH_BATCH_S:-256}" 4 \
        configs/mocov3/mocov3_vit-small-p16_16xb256-amp-coslr-300e_in1k.py \
        configs/dilemma/dilemma-mocov3_vit-small-p16_16xb256-amp-coslr-300e_in1k.py
    bench mocov3_vit-b 150 "${BENCH_BATCH_B:-128}" 3 \
        configs/mocov3/mocov3_vit-base-p16_16xb256-amp-coslr-300e_in1k.py \
        configs/dilemma/dilemma-mocov3_vit-base-p16_16xb256-amp-coslr-300e_in1k.py
    bench dino_vit-s 120 "${BENCH_BATCH_DINO:-64}" 3 \
        configs/dino/dino_vit-small-p16_8xb64-amp-coslr-100e_in1k.py \
        configs/dilemma/dilemma-dino_vit-small-p16_8xb64-amp-coslr-100e_in1k.py
fi

wait $DATA_PID
(cd "$DATA/train" && for class in $(ls | sort); do
    for image in "$class"/*; do echo "$image $class"; done
done) | awk 'BEGIN { n = -1 } $2 != last { n++; last = $2 } { print $1, n }' \
    > "$OUT/train.txt"

CONFIG=configs/dilemma/dilemma-mocov3_vit-small-p16_16xb256-amp-coslr-300e_in1k.py
OPTIONS=(train_dataloader.dataset.data_root="$DATA"
         train_dataloader.dataset.ann_file="$(cd "$OUT" && pwd)/train.txt"
         train_dataloader.batch_size="${TRAIN_BATCH:-256}"
         train_dataloader.num_workers="${WORKERS:-8}"
         default_hooks.logger.interval=3 default_hooks.checkpoint.interval=1)
read -r -a TRAIN_OPTIONS <<< "${TRAIN_OPTS:-}"
OPTIONS+=(${TRAIN_OPTIONS[@]+"${TRAIN_OPTIONS[@]}"})
log "train 2 epochs with --amp"
timeout 300 bash tools/dist_train.sh $CONFIG 1 --amp --work-dir "$OUT/train" \
    --cfg-options "${OPTIONS[@]}" train_cfg.max_epochs=2 > "$OUT/train.log" 2>&1
echo "exit $?" | tee -a "$SUMMARY"
log "resume to epoch 3"
timeout 200 bash tools/dist_train.sh $CONFIG 1 --amp --work-dir "$OUT/train" \
    --resume --cfg-options "${OPTIONS[@]}" train_cfg.max_epochs=3 \
    >> "$OUT/train.log" 2>&1
echo "exit $?" | tee -a "$SUMMARY"
grep -hE 'Epoch\(train\)|resumed epoch|Error' "$OUT/train.log" | tail -12 \
    | cut -c1-300 | tee -a "$SUMMARY"
log "done"
