"""Misplacement-detection accuracy of a tiny DILEMMA + MoCo v3 run on CPU.

Trains a small ``DilemmaMoCoV3`` on generated images through the real data
path (``MultiView`` -> ``TokenDropTransform`` -> ``PackInputs`` ->
``default_collate`` -> ``SelfSupDataPreprocessor`` -> ``train_step``) and
prints the running ``acc_dilemma`` next to the all-negative rate
``1 - misplace_prob``, then the accuracy on held-out images::

    python tools/analysis_tools/misplacement_curve.py --steps 300

The images have a bright top and a dark bottom (a sky/ground prior), a
rectangle of random colour at a random place and pixel noise, so a patch's
content says something about where it belongs, as in natural images.
"""
import argparse
import time
from typing import Dict, List

import numpy as np
import torch
from mmcv.transforms import Compose
from mmengine.dataset import default_collate
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope
from mmengine.runner import set_random_seed

from dilemma_mm.registry import MODELS


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--steps', type=int, default=300)
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--img-size', type=int, default=32)
    parser.add_argument('--patch-size', type=int, default=8)
    parser.add_argument('--embed-dims', type=int, default=64)
    parser.add_argument('--num-layers', type=int, default=2)
    parser.add_argument('--drop-ratio', type=float, default=0.5)
    parser.add_argument('--misplace-prob', type=float, default=0.2)
    parser.add_argument('--lr', type=float, default=1e-3)
    parser.add_argument('--log-interval', type=int, default=25)
    parser.add_argument('--eval-batches', type=int, default=8)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    # Checked here: each surfaced as a traceback after the model was built.
    if args.batch_size < 2:
        parser.error('--batch-size must be at least 2 (the necks\' '
                     'BatchNorm needs two samples)')
    if min(args.steps, args.eval_batches) < 0 or args.log_interval < 1:
        parser.error('--steps and --eval-batches must be >= 0, '
                     '--log-interval >= 1')
    if args.patch_size < 1 or args.img_size % args.patch_size:
        parser.error(f'--img-size {args.img_size} must be a multiple of '
                     f'--patch-size {args.patch_size}')
    if not 0 <= args.drop_ratio < 1 or not 0 <= args.misplace_prob <= 1:
        parser.error('--drop-ratio must be in [0, 1), --misplace-prob in '
                     '[0, 1]')
    return args


def main(argv=None) -> Dict[str, float]:
    return train(parse_args(argv))


def synthetic_images(num: int, size: int,
                     rng: np.random.Generator) -> np.ndarray:
    """``num`` uint8 HWC images: vertical gradient, rectangle, noise."""
    rows = np.linspace(0, 1, size)[None, :, None, None]  # (1, H, 1, 1)
    top = rng.uniform(150, 255, (num, 1, 1, 3))
    bottom = rng.uniform(0, 100, (num, 1, 1, 3))
    img = np.broadcast_to(top + (bottom - top) * rows, (num, size, size, 3))
    img = img.copy()
    for i in range(num):
        y0, x0 = rng.integers(0, size - size // 4, 2)
        h, w = rng.integers(size // 4, size // 2 + 1, 2)
        img[i, y0:y0 + h, x0:x0 + w] = rng.uniform(0, 255, 3)
    img += rng.normal(0, 8, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def build_model(args: argparse.Namespace) -> torch.nn.Module:
    init_default_scope('dilemma_mm')
    dims, proj = args.embed_dims, 32
    model = MODELS.build(
        dict(
            type='DilemmaMoCoV3',
            base_momentum=0.01,
            backbone=dict(
                type='DilemmaViT',
                arch=dict(
                    embed_dims=dims,
                    num_layers=args.num_layers,
                    num_heads=4,
                    feedforward_channels=dims * 2),
                img_size=args.img_size,
                patch_size=args.patch_size,
                pos_embed_type='sincos'),
            neck=dict(
                type='NonLinearNeck',
                in_channels=dims,
                hid_channels=dims * 2,
                out_channels=proj,
                num_layers=2,
                with_bias=False,
                with_last_bn=True,
                with_last_bn_affine=False,
                with_last_bias=False,
                with_avg_pool=False),
            head=dict(
                type='MoCoV3Head',
                predictor=dict(
                    type='NonLinearNeck',
                    in_channels=proj,
                    hid_channels=dims * 2,
                    out_channels=proj,
                    num_layers=2,
                    with_bias=False,
                    with_last_bn=True,
                    with_last_bn_affine=False,
                    with_last_bias=False,
                    with_avg_pool=False),
                loss=dict(type='CrossEntropyLoss', loss_weight=2 * 0.2),
                temperature=0.2),
            misplacement_head=dict(type='MisplacementHead'),
            data_preprocessor=dict(
                mean=(127.5, 127.5, 127.5), std=(64., 64., 64.))))
    model.init_weights()
    return model


def make_batch(pipeline: Compose, images: np.ndarray) -> dict:
    return default_collate([pipeline(dict(img=img)) for img in images])


def held_out_accuracy(model, pipeline, rng, args) -> float:
    """``acc_dilemma`` of the online encoder on fresh images, eval mode."""
    model.eval()
    accs: List[float] = []
    with torch.no_grad():
        for _ in range(args.eval_batches):
            images = synthetic_images(args.batch_size, args.img_size, rng)
            data = model.data_preprocessor(make_batch(pipeline, images))
            corrupted = [
                model.forward_corrupted(view, data['data_samples'], i)[1]
                for i, view in enumerate(data['inputs'])
            ]
            accs.append(
                model.misplacement_loss(corrupted)['acc_dilemma'].item())
    model.train()
    return float(np.mean(accs))


def train(args: argparse.Namespace) -> Dict[str, float]:
    """Train, print the curve and return the final figures."""
    set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    model = build_model(args)
    pipeline = Compose([
        dict(
            type='MultiView',
            num_views=2,
            transforms=[[
                dict(type='RandomFlip', prob=0.5, direction='horizontal')
            ]]),
        dict(
            type='TokenDropTransform',
            drop_ratio=args.drop_ratio,
            misplace_prob=args.misplace_prob,
            patch_size=args.patch_size),
        dict(type='PackInputs', algorithm_keys=['keep', 'pos']),
    ])
    optim_wrapper = OptimWrapper(
        torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.05))
    # CosineEMA reads the schedule length the Runner would publish
    MessageHub.get_current_instance().update_info('max_iters', args.steps)
    chance = 1 - args.misplace_prob
    print(f'all-negative rate 1 - p = {chance:.3f}')
    print(f'{"step":>6} {"loss_mocov3":>12} {"loss_dilemma":>13} '
          f'{"acc_dilemma":>12}')
    start, window = time.time(), []
    for step in range(1, args.steps + 1):
        images = synthetic_images(args.batch_size, args.img_size, rng)
        log_vars = model.train_step(
            make_batch(pipeline, images), optim_wrapper)
        window.append([
            log_vars[k].item()
            for k in ('loss_mocov3', 'loss_dilemma', 'acc_dilemma')
        ])
        if step % args.log_interval == 0 or step == args.steps:
            mean = np.mean(window, axis=0)
            print(
                f'{step:>6} {mean[0]:>12.4f} {mean[1]:>13.4f} '
                f'{mean[2]:>12.3f}',
                flush=True)
            window = []
    train_time = time.time() - start
    acc = held_out_accuracy(model, pipeline, rng, args)
    print(f'held-out acc_dilemma {acc:.3f} vs all-negative rate '
          f'{chance:.3f} after {args.steps} steps ({train_time:.1f} s)')
    return dict(acc_dilemma=acc, chance=chance, train_time=train_time)


if __name__ == '__main__':
    main()
