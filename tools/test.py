"""Evaluate a checkpoint on a config's test set: the OpenMMLab
``tools/test.py`` for dilemma_mm.

Example::

    python tools/test.py <config> <checkpoint> --work-dir work_dirs/eval
    bash tools/dist_test.sh <config> <checkpoint> 8
"""
import argparse
import json
import os
import os.path as osp
import sys

from mmengine.config import DictAction
from mmengine.model import is_model_wrapper
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

import dilemma_mm  # noqa: F401  (compatibility fixes and registration)
from dilemma_mm.checkpoint import (check_checkpoint_file,
                                   load_backbone_checkpoint)
from dilemma_mm.utils import explain_build_errors, finish_run, load_config


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (evaluate) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs')
    parser.add_argument(
        '--out', help='dump the predictions to this pickle file (.pkl)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. test_dataloader.batch_size=8')
    parser.add_argument(
        '--allow-partial',
        action='store_true',
        help='evaluate a checkpoint that leaves weights of the model missing '
        'or unexpected (refused by default); the keys go into the printed '
        'JSON')
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


def main(argv=None) -> None:
    args = parse_args(argv)
    check_checkpoint_file(args.checkpoint)  # before any work, by name
    cfg = load_config(args.config)
    cfg.launcher = args.launcher
    cfg.load_from = args.checkpoint
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if cfg.get('test_dataloader') is None:
        raise KeyError(f'{args.config} has no test_dataloader to evaluate')
    if args.out is not None:
        if not args.out.endswith(('.pkl', '.pickle')):
            raise ValueError('--out must be a .pkl or .pickle file')
        cfg.test_evaluator = list(cfg.test_evaluator) if isinstance(
            cfg.test_evaluator, (list, tuple)) else [cfg.test_evaluator]
        cfg.test_evaluator.append(
            dict(type='DumpResults', out_file_path=args.out))
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    with explain_build_errors():
        runner = (
            Runner.from_cfg(cfg)
            if 'runner_type' not in cfg else RUNNERS.build(cfg))
        try:
            # The runner loads the checkpoint with strict=False and only
            # warns; check that it fits first.
            model = runner.model
            load_result = load_backbone_checkpoint(
                model.module if is_model_wrapper(model) else model,
                args.checkpoint,
                prefix='',
                logger=runner.logger,
                allow_partial=args.allow_partial,
                name='the model')
            metrics = runner.test()
        finally:
            finish_run(runner)
    result = {k: float(v) for k, v in metrics.items()}
    if load_result['missing_keys'] or load_result['unexpected_keys']:
        result['partial_load'] = load_result  # only with --allow-partial
    print(json.dumps(result))


if __name__ == '__main__':
    sys.exit(main())
