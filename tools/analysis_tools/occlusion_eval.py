"""Occlusion robustness of a classifier: top-1 as patches are corrupted.

For each ratio (default 0, 10, ..., 90 %) that fraction of the patches of
every test image (the backbone's patch grid) is zeroed after normalisation
(``zero``: the mean colour) or shuffled among themselves (``shuffle``: the
texture stays, the shape goes). Prints a table and writes a PNG plot and a
JSON of the numbers. See :mod:`dilemma_mm.evaluation.occlusion`.

Example (a linear probe and its checkpoint)::

    python tools/analysis_tools/occlusion_eval.py \\
        configs/benchmarks/vit-tiny-p8-convstem_dilemma-mocov3-8e-pre_1xb128-linear-coslr-5e_shapes.py \\
        work_dirs/linear/epoch_5.pth --out work_dirs/occlusion/dilemma.png
"""  # noqa: E501
import argparse
import copy
import os.path as osp
from typing import List

import torch
from mmengine.config import DictAction
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

import dilemma_mm  # noqa: F401  (compatibility fixes and registration)
from dilemma_mm.checkpoint import (check_checkpoint_file,
                                   load_backbone_checkpoint)
from dilemma_mm.evaluation.occlusion import (DEFAULT_RATIOS, MODES,
                                             evaluate_occlusion, format_table,
                                             infer_patch_size, save_results)
from dilemma_mm.registry import MODELS
from dilemma_mm.utils import load_config


def parse_ratios(text: str) -> List[float]:
    ratios = [float(r) for r in text.split(',') if r.strip()]
    if not ratios or any(not 0 <= r <= 1 for r in ratios):
        raise argparse.ArgumentTypeError(
            f'ratios must be comma-separated numbers in [0, 1], got {text!r}')
    return ratios


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Accuracy of a classifier under patch occlusion')
    parser.add_argument('config', help='classifier config (test_dataloader)')
    parser.add_argument('checkpoint', help='classifier checkpoint')
    parser.add_argument(
        '--ratios',
        type=parse_ratios,
        default=list(DEFAULT_RATIOS),
        help='comma-separated fractions of corrupted patches '
        '(default 0,0.1,...,0.9)')
    parser.add_argument(
        '--mode',
        choices=[*MODES, 'both'],
        default='both',
        help='zero the patches, shuffle them, or both (default)')
    parser.add_argument(
        '--out',
        help='PNG plot path; the JSON goes beside it (default '
        'work_dirs/occlusion/<config>.png)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--patch-size',
        type=int,
        help='patch side in pixels (default: the backbone\'s)')
    parser.add_argument('--batch-size', type=int, help='override')
    parser.add_argument('--num-workers', type=int, help='override')
    parser.add_argument(
        '--max-batches', type=int, help='evaluate only this many batches')
    parser.add_argument(
        '--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument(
        '--allow-partial',
        action='store_true',
        help='evaluate a checkpoint that leaves weights of the model missing '
        'or unexpected (refused by default); the keys go into the JSON')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. '
        'test_dataloader.dataset.data_root=data/shapes')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    if args.out is not None and not args.out.lower().endswith('.png'):
        # matplotlib would add .png and the tool name a file it never wrote
        raise SystemExit(f'--out {args.out}: give a .png file (the JSON '
                         'goes beside it)')
    for key in ('batch_size', 'max_batches', 'patch_size'):
        if getattr(args, key) is not None and getattr(args, key) < 1:
            raise SystemExit(f'--{key.replace("_", "-")} must be at least 1')
    check_checkpoint_file(args.checkpoint)  # before any work, by name
    cfg = load_config(args.config, args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'dilemma_mm'))

    model_cfg = copy.deepcopy(cfg.model)
    if cfg.get('data_preprocessor') is not None:
        model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    model = MODELS.build(model_cfg)
    load_result = load_backbone_checkpoint(
        model,
        args.checkpoint,
        prefix='',
        logger=MMLogger.get_instance('occlusion_eval'),
        allow_partial=args.allow_partial,
        name='the model')
    model.to(args.device)
    patch_size = args.patch_size or infer_patch_size(model.backbone)

    loader_cfg = copy.deepcopy(
        cfg.get('test_dataloader') or cfg.get('val_dataloader'))
    if loader_cfg is None:
        raise KeyError(f'{args.config} has no test_dataloader')
    loader_cfg.setdefault('collate_fn', dict(type='default_collate'))
    for key in ('batch_size', 'num_workers'):
        if getattr(args, key) is not None:
            loader_cfg[key] = getattr(args, key)
    if not loader_cfg.get('num_workers'):
        loader_cfg['persistent_workers'] = False
    loader = Runner.build_dataloader(loader_cfg)

    modes = list(MODES) if args.mode == 'both' else [args.mode]
    top1, num_images = evaluate_occlusion(
        model,
        loader,
        patch_size,
        args.ratios,
        modes,
        seed=args.seed,
        max_batches=args.max_batches)
    classes = getattr(loader.dataset, 'metainfo', {}).get('classes')
    results = dict(
        config=args.config,
        checkpoint=args.checkpoint,
        patch_size=patch_size,
        seed=args.seed,
        num_images=num_images,
        chance=100. / len(classes) if classes else None,
        ratios=args.ratios,
        top1=top1)
    if load_result['missing_keys'] or load_result['unexpected_keys']:
        results['partial_load'] = load_result  # only with --allow-partial
    print(f'Top-1 (%) of {num_images} images with {patch_size} px patches '
          'corrupted:')
    print(format_table(args.ratios, top1))
    out = args.out or osp.join(
        'work_dirs', 'occlusion',
        osp.splitext(osp.basename(args.config))[0] + '.png')
    json_file = save_results(
        results,
        out,
        title=osp.basename(osp.dirname(osp.abspath(args.checkpoint))) + '/' +
        osp.basename(args.checkpoint))
    print(f'Saved {out} and {json_file}')
    return results


if __name__ == '__main__':
    main()
