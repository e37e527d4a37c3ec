"""Draw what a DILEMMA model sees and which patches it thinks misplaced.

For each image: the input with its dropped (grey), kept and misplaced (red)
patches, the patches at the positions the encoder was given, and the
predicted misplacement probability per kept patch. The layout comes from
the config's ``TokenDropTransform`` (overridable), the network from the
config's algorithm (its backbone and misplacement head) and the checkpoint.

Example::

    CFG=dilemma-mocov3_vit-tiny-p8-convstem_1xb128-coslr-8e_shapes
    python tools/analysis_tools/visualize_misplacement.py \\
        configs/dilemma/$CFG.py work_dirs/$CFG/epoch_8.pth \\
        data/shapes_textured/val/*/0000.png --out misplacement.png --seed 0
"""
import argparse
import os.path as osp
import sys

from mmengine.config import DictAction
from mmengine.logging import MMLogger

import dilemma_mm  # noqa: F401  (compatibility fixes and registration)
from dilemma_mm.apis import init_model
from dilemma_mm.checkpoint import (check_checkpoint_file,
                                   load_backbone_checkpoint)
from dilemma_mm.utils import load_config
from dilemma_mm.visualization import visualize_misplacement


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Visualise DILEMMA misplacement predictions')
    parser.add_argument('config', help='training config of the model')
    parser.add_argument('checkpoint', help='checkpoint path or URL')
    parser.add_argument('images', nargs='+', help='image files')
    parser.add_argument(
        '--out', default='misplacement.png', help='PNG file to write')
    parser.add_argument(
        '--drop-ratio', type=float, help="override the config's drop ratio")
    parser.add_argument(
        '--misplace-prob',
        type=float,
        help="override the config's misplacement probability")
    parser.add_argument(
        '--seed',
        type=int,
        default=0,
        help='seed of the token layout (image i uses seed + i)')
    parser.add_argument('--device', default='cpu', help='e.g. cuda:0')
    parser.add_argument(
        '--allow-partial',
        action='store_true',
        help='draw with a checkpoint that leaves weights of the model '
        'missing or unexpected (refused by default; the keys are logged)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. model.backbone.arch=...')
    return parser.parse_args(argv)


def check_images(paths) -> None:
    """Stop, naming the file, on an image that is missing or does not
    decode (mmcv would fail later on a None without a name)."""
    import mmcv
    for path in paths:
        if not osp.isfile(path):
            raise SystemExit(f'{path}: no such image file')
        if mmcv.imread(path) is None:
            raise SystemExit(f'{path}: cannot be decoded as an image')


def main(argv=None) -> int:
    args = parse_args(argv)
    if not args.out.lower().endswith('.png'):
        # matplotlib would add .png and the tool name a file it never wrote
        raise SystemExit(f'--out {args.out}: give a .png file')
    check_checkpoint_file(args.checkpoint)  # before any work, by name
    check_images(args.images)
    cfg = load_config(args.config, args.cfg_options)
    model = init_model(cfg, device=args.device)
    load_backbone_checkpoint(
        model,
        args.checkpoint,
        prefix='',
        logger=MMLogger.get_instance('visualize_misplacement'),
        allow_partial=args.allow_partial,
        name='the model')
    predictions = visualize_misplacement(
        cfg,
        None,
        args.images,
        out_file=args.out,
        drop_ratio=args.drop_ratio,
        misplace_prob=args.misplace_prob,
        seed=args.seed,
        device=args.device,
        model=model)
    for pred in predictions:
        misplaced = pred.misplaced

        def mean(probs) -> str:  # none drawn: no mean, not a 0.000
            return f'{probs.mean():.3f}' if len(probs) else '-'

        print(f'{pred.name}: {len(pred.keep)} kept, {int(misplaced.sum())} '
              f'misplaced, accuracy {pred.accuracy:.3f}, mean P(misplaced) '
              f'{mean(pred.prob[misplaced])} on misplaced, '
              f'{mean(pred.prob[~misplaced])} on the others')
    print(f'wrote {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
