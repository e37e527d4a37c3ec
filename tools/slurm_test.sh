#!/usr/bin/env bash
# Evaluate a checkpoint through Slurm, one task per GPU:
#   [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] \
#   bash tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [test.py args]
source "$(dirname "$0")/launcher.sh"
need_args 4 'PARTITION JOB_NAME CONFIG CHECKPOINT [test.py args]' "$@"
set -x
srun_tool "$1" "$2" test.py "$3" "$4" --launcher=slurm "${@:5}"
