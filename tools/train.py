"""Train a model from a config: the OpenMMLab ``tools/train.py`` for
dilemma_mm.

Examples::

    python tools/train.py configs/dilemma/<config>.py --work-dir work_dirs/x
    python tools/train.py <config> --resume            # latest in work dir
    python tools/train.py <config> --resume path/to/epoch_2.pth
    python tools/train.py <config> --epochs 3   # schedule fitted to 3 epochs
    bash tools/dist_train.sh <config> 8 --amp
"""
import argparse
import os
import os.path as osp
import sys

import torch
from mmengine.config import DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

import dilemma_mm  # noqa: F401  (compatibility fixes and registration)
from dilemma_mm.engine import amp_optim_wrapper, check_schedule, fit_schedule
from dilemma_mm.engine.preflight import preflight
from dilemma_mm.utils import (add_train_check_hooks, check_cfg_options,
                              check_hook_args, explain_build_errors,
                              finish_run, load_config)


def positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(
            f'must be a positive integer, got {text!r}')
    return int(text)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from this checkpoint, or, given without a path, from '
        'the latest checkpoint in the work directory')
    parser.add_argument(
        '--force',
        action='store_true',
        help='start fresh in a work dir that holds checkpoints; they are '
        'moved into a previous_<time>/ subdirectory first')
    parser.add_argument(
        '--allow-partial',
        action='store_true',
        help='start from a Pretrained init_cfg checkpoint that leaves '
        'weights missing or unexpected (refused by default; the keys are '
        'logged)')
    parser.add_argument(
        '--epochs',
        type=positive_int,
        help='train this many epochs, with the schedule fitted to them: the '
        'warm-up kept (at most half the run), the rest stretched or shrunk')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='automatic mixed precision (fp16 with dynamic loss scaling on '
        'CUDA, bf16 on CPU)')
    parser.add_argument(
        '--compile',
        action='store_true',
        help='torch.compile the training step (mmengine\'s `compile = True` '
        'setting; static shapes: one K per view size)')
    parser.add_argument(
        '--no-validate',
        action='store_true',
        help='do not evaluate checkpoints during training')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the learning rate by the actual over the base batch size')
    parser.add_argument(
        '--no-pin-memory',
        action='store_true',
        help='disable pin_memory in the dataloaders')
    parser.add_argument(
        '--no-persistent-workers',
        action='store_true',
        help='disable persistent_workers in the dataloaders')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. train_cfg.max_epochs=3 or '
        'key="[a,b]"; no white space inside a value. A key whose first part '
        'is not in the config is an error; write +key=value to add one')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def merge_args(cfg, args):
    """Fold the command line into the config."""
    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if args.amp:
        cfg.optim_wrapper = amp_optim_wrapper(
            cfg.optim_wrapper, 'cuda' if torch.cuda.is_available() else 'cpu')
    if args.compile:
        cfg.compile = cfg.get('compile') or True
    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg:
            raise KeyError('--auto-scale-lr needs `auto_scale_lr = '
                           'dict(base_batch_size=...)` in the config')
        cfg.auto_scale_lr.enable = True
    if args.cfg_options:
        cfg.merge_from_dict(check_cfg_options(cfg, args.cfg_options))
    if args.epochs and 'train_cfg.max_epochs' in (args.cfg_options or {}):
        raise ValueError('--epochs and --cfg-options train_cfg.max_epochs '
                         'both set the epochs: give one of --epochs and '
                         'train_cfg.max_epochs')
    if args.epochs:
        fit_schedule(cfg, args.epochs)
    check_schedule(cfg)  # warns when max_epochs and the schedulers disagree
    for field in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(field)
        if loader is None:
            continue
        loader.setdefault('collate_fn', dict(type='default_collate'))
        if args.no_pin_memory:
            loader.pin_memory = False
        # torch refuses persistent workers without workers.
        if args.no_persistent_workers or not loader.get('num_workers', 0):
            loader.persistent_workers = False
    return cfg


def main(argv=None) -> None:
    args = parse_args(argv)
    cfg = merge_args(load_config(args.config), args)
    check_hook_args(add_train_check_hooks(cfg))
    # The work dir's lock and checks, the resumed checkpoint, and the checks
    # of the built runner (dilemma_mm/engine/preflight.py).
    with explain_build_errors(), preflight(cfg, args.resume, args.force,
                                           args.allow_partial) as check:
        runner = (
            Runner.from_cfg(cfg)
            if 'runner_type' not in cfg else RUNNERS.build(cfg))
        try:
            check(runner)
            runner.train()
        finally:
            finish_run(runner)


if __name__ == '__main__':
    sys.exit(main())
