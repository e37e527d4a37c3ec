#!/usr/bin/env bash
# What tools/dist_{train,test}.sh and tools/slurm_{train,test}.sh share,
# sourced by them: strict mode, the argument check and the two launchers.
# The tools run from this checkout: its root goes first on PYTHONPATH.
set -euo pipefail
TOOLS=$(dirname "${BASH_SOURCE[0]}")
export PYTHONPATH="$TOOLS/..${PYTHONPATH:+:$PYTHONPATH}"

# need_args N USAGE ARGS...: at least N ARGS, or the usage and exit 2.
need_args() {
    if [ $(($# - 2)) -lt "$1" ]; then
        echo "usage: $0 $2" >&2
        exit 2
    fi
}

# torchrun_tool GPUS TOOL ARGS...: tools/TOOL on GPUS processes of this
# node; NNODES, NODE_RANK, MASTER_ADDR and PORT set the others.
torchrun_tool() {
    exec "${PYTHON:-python}" -m torch.distributed.run \
        --nnodes="${NNODES:-1}" \
        --node_rank="${NODE_RANK:-0}" \
        --master_addr="${MASTER_ADDR:-127.0.0.1}" \
        --nproc_per_node="$1" \
        --master_port="${PORT:-29500}" \
        "$TOOLS/$2" "${@:3}"
}

# srun_tool PARTITION JOB_NAME TOOL ARGS...: tools/TOOL as one Slurm task
# per GPU; GPUS, GPUS_PER_NODE, CPUS_PER_TASK and SRUN_ARGS size the job.
srun_tool() {
    local gpus_per_node=${GPUS_PER_NODE:-8}
    # SRUN_ARGS is split into words: it holds several options
    # shellcheck disable=SC2086
    srun -p "$1" \
        --job-name="$2" \
        --gres=gpu:"$gpus_per_node" \
        --ntasks="${GPUS:-8}" \
        --ntasks-per-node="$gpus_per_node" \
        --cpus-per-task="${CPUS_PER_TASK:-5}" \
        --kill-on-bad-exit=1 \
        ${SRUN_ARGS:-} \
        "${PYTHON:-python}" -u "$TOOLS/$3" "${@:4}"
}
