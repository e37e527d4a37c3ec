"""Save a config's model at random initialisation as a checkpoint.

The reference every pretraining result is compared with: the same
backbone, untrained, evaluated by the same k-NN and linear-probe commands
(``tools/demo.py`` does this next to the pretrained backbone)::

    python tools/misc/save_random_init.py CONFIG work_dirs/random_init.pth \\
        --seed 0
"""
import argparse
import os.path as osp

import torch
from mmengine.config import DictAction
from mmengine.registry import init_default_scope

import dilemma_mm  # noqa: F401  (compatibility fixes and registration)
from dilemma_mm.checkpoint import save_atomic
from dilemma_mm.registry import MODELS
from dilemma_mm.utils import load_config


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config whose `model` is built')
    parser.add_argument('out', help='checkpoint file to write')
    parser.add_argument(
        '--seed', type=int, default=0, help='torch seed of the init')
    parser.add_argument(
        '--force', action='store_true', help='write over OUT if it exists')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, as in tools/train.py')
    return parser.parse_args(argv)


def main(argv=None) -> str:
    args = parse_args(argv)
    if osp.isdir(args.out):
        raise IsADirectoryError(
            f'{args.out} is a directory: give the checkpoint file to write, '
            f'e.g. {osp.join(args.out, "random_init.pth")}')
    if osp.exists(args.out) and not args.force:
        raise SystemExit(f'{args.out} exists: pass --force to write the '
                         'random initialisation over it, or another OUT')
    cfg = load_config(args.config, args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'dilemma_mm'))
    torch.manual_seed(args.seed)
    model = MODELS.build(cfg.model)
    model.init_weights()
    # The same layout as a training checkpoint, so every tool reads it;
    # written atomically, so a killed save leaves no truncated file.
    save_atomic(
        dict(
            meta=dict(seed=args.seed, random_init=True),
            state_dict=model.state_dict()), args.out)
    print(f'random initialisation of {args.config} (seed {args.seed}) '
          f'saved to {args.out}')
    return args.out


if __name__ == '__main__':
    main()
