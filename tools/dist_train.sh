#!/usr/bin/env bash
# Train on GPUS processes of this node with torchrun:
#   bash tools/dist_train.sh CONFIG GPUS [train.py args]
# Several nodes: set NNODES, NODE_RANK, MASTER_ADDR and PORT on each.
# On a machine without a GPU the processes run on CPU with the gloo backend.
source "$(dirname "$0")/launcher.sh"
need_args 2 'CONFIG GPUS [train.py args]' "$@"
torchrun_tool "$2" train.py "$1" --launcher pytorch "${@:3}"
