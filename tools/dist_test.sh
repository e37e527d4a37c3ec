#!/usr/bin/env bash
# Evaluate a checkpoint on GPUS processes of this node with torchrun:
#   bash tools/dist_test.sh CONFIG CHECKPOINT GPUS [test.py args]
# Several nodes: set NNODES, NODE_RANK, MASTER_ADDR and PORT on each.
# On a machine without a GPU the processes run on CPU with the gloo backend.
source "$(dirname "$0")/launcher.sh"
need_args 3 'CONFIG CHECKPOINT GPUS [test.py args]' "$@"
torchrun_tool "$3" test.py "$1" "$2" --launcher pytorch "${@:4}"
