"""Can a backbone learn a data set *with labels* within a budget?

The supervised reference for the self-supervised comparison on the shape
data: trains a classifier from scratch on the train split and prints the
validation top-1 after every epoch. If the backbone does not learn shape
from labels in the time of a pretraining run, no self-supervised method
will show shape learning in that time either. Images are loaded once into
memory at the backbone's input size; augmentation is a random flip and a
shift of up to an eighth of the side. AdamW with a one-epoch warm-up and a
cosine decay to ``--epochs``; ``--minutes`` stops earlier, at a wall-clock
budget (the schedule is then fitted to the epochs that fit, measured on the
first one with its validation; should later epochs run slower, training
stops when the budget is spent and says so)::

    # the backbone of the CPU recipes, 5 minutes (what `make demo` spends
    # pretraining)
    python tools/analysis_tools/shapes_learnability.py --minutes 5
    # the same backbone without its convolutional stem
    python tools/analysis_tools/shapes_learnability.py --minutes 5 \\
        --cfg-options model.backbone.conv_stem_channels=None
    python tools/analysis_tools/shapes_learnability.py --model cnn

``vit`` builds the backbone of ``--config`` (default: the DILEMMA CPU
recipe) with a linear head on its class token; ``cnn`` four 3x3
conv-BN-ReLU stages, a reference with a locality prior throughout. Any
ImageNet-style folder (``DIR/train/<class>/*``, ``DIR/val/<class>/*``)
works as ``--data``.
"""
import argparse
import math
import os
import os.path as osp
import time
from typing import Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import DictAction
from mmengine.registry import init_default_scope
from PIL import Image

import dilemma_mm  # noqa: F401  (registration)
from dilemma_mm.datasets.image_folder import IMAGE_SUFFIXES
from dilemma_mm.registry import MODELS
from dilemma_mm.utils import load_config

RECIPE = osp.join(
    osp.dirname(__file__), '../../configs/dilemma/'
    'dilemma-mocov3_vit-tiny-p8-convstem_1xb128-coslr-8e_shapes.py')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data', default='data/shapes')
    parser.add_argument('--model', choices=['vit', 'cnn'], default='vit')
    parser.add_argument(
        '--config',
        default=RECIPE,
        help='config whose model.backbone is trained (vit)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of model.backbone in --config (the only '
        'part of it this tool reads)')
    parser.add_argument('--epochs', type=int, default=30)
    parser.add_argument(
        '--minutes',
        type=float,
        help='wall-clock budget of training; the schedule is fitted to it')
    parser.add_argument('--lr', type=float, default=1e-3)
    parser.add_argument('--batch-size', type=int, default=128)
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args(argv)


def load_split(root: str, split: str,
               size: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """Images resized to ``size`` px and normalised to about [-2, 2],
    (N, 3, size, size), and labels (N, ), class indices in sorted folder
    order (as ``CustomDataset``)."""
    images, labels = [], []
    if not osp.isdir(osp.join(root, split)):
        raise FileNotFoundError(f'no folder {root}/{split}; run '
                                'tools/dataset_converters/make_shapes.py')
    classes = sorted(
        d for d in os.listdir(osp.join(root, split))
        if osp.isdir(osp.join(root, split, d)))
    for label, name in enumerate(classes):
        folder = osp.join(root, split, name)
        for file in sorted(os.listdir(folder)):
            if not file.lower().endswith(IMAGE_SUFFIXES):
                continue
            image = Image.open(osp.join(folder, file)).convert('RGB')
            if image.size != (size, size):
                image = image.resize((size, size), Image.BILINEAR)
            images.append(np.asarray(image))
            labels.append(label)
    if not images:
        raise FileNotFoundError(f'no images under {root}/{split}; run '
                                'tools/dataset_converters/make_shapes.py')
    pixels = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2)
    return (pixels.float() / 255 - .5) / .25, torch.tensor(labels)


class ViTClassifier(nn.Module):
    """A config's backbone with a linear head on its class token."""

    def __init__(self, backbone_cfg: dict, num_classes: int) -> None:
        super().__init__()
        init_default_scope('dilemma_mm')
        self.backbone = MODELS.build(dict(backbone_cfg, out_type='cls_token'))
        self.backbone.init_weights()
        self.head = nn.Linear(self.backbone.embed_dims, num_classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(images)[-1])


def small_cnn(num_classes: int) -> nn.Module:
    layers, width_in = [], 3
    for width in (32, 64, 128, 128):
        layers += [
            nn.Conv2d(width_in, width, 3, padding=1),
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2)
        ]
        width_in = width
    return nn.Sequential(*layers[:-1], nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(width_in, num_classes))


def augment(images: torch.Tensor) -> torch.Tensor:
    """Random horizontal flip and a shift of up to size / 8 (reflected)."""
    flip = torch.rand(len(images)) < .5
    images[flip] = images[flip].flip(-1)
    size = images.shape[-1]
    shift = max(size // 8, 1)
    padded = F.pad(images, (shift, ) * 4, mode='reflect')
    top, left = torch.randint(0, 2 * shift + 1, (2, )).tolist()
    return padded[..., top:top + size, left:left + size]


def main(argv=None) -> list:
    args = parse_args(argv)
    if args.model == 'cnn' and (args.cfg_options or args.config != RECIPE):
        raise SystemExit('--config and --cfg-options set the ViT backbone: '
                         'they do nothing with --model cnn')
    if min(args.epochs, args.batch_size) < 1 or (args.minutes is not None
                                                 and args.minutes <= 0):
        raise SystemExit('--epochs, --batch-size and --minutes must be '
                         'above 0')
    torch.manual_seed(args.seed)
    backbone_cfg = None
    size = 32
    if args.model == 'vit':
        cfg = load_config(args.config, args.cfg_options, 'model.backbone')
        backbone_cfg = cfg.model.backbone.to_dict()
        size = backbone_cfg.get('img_size', 224)
    train_images, train_labels = load_split(args.data, 'train', size)
    val_images, val_labels = load_split(args.data, 'val', size)
    num_classes = int(train_labels.max()) + 1
    model = (
        ViTClassifier(backbone_cfg, num_classes)
        if args.model == 'vit' else small_cnn(num_classes))
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=args.lr, weight_decay=0.05)
    steps_per_epoch = math.ceil(len(train_images) / args.batch_size)
    epochs, history, step, start = args.epochs, [], 0, time.time()
    epoch = 0
    while epoch < epochs:
        epoch += 1
        model.train()
        order, total = torch.randperm(len(train_images)), 0.
        for first in range(0, len(order), args.batch_size):
            total_steps = epochs * steps_per_epoch
            warmup = min(steps_per_epoch, total_steps // 2)
            lr = args.lr * min(1., (step + 1) / max(warmup, 1))
            progress = (step - warmup) / max(total_steps - warmup, 1)
            lr *= .5 * (1 + math.cos(math.pi * min(max(progress, 0.), 1.)))
            for group in optimizer.param_groups:
                group['lr'] = lr
            batch = order[first:first + args.batch_size]
            loss = F.cross_entropy(
                model(augment(train_images[batch])), train_labels[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
            step += 1
        model.eval()
        with torch.no_grad():
            predictions = torch.cat([
                model(chunk).argmax(1)
                for chunk in val_images.split(args.batch_size * 4)
            ])
        top1 = (predictions == val_labels).float().mean().item() * 100
        minutes = (time.time() - start) / 60
        if args.minutes and epoch == 1:
            # Fit the schedule to the epochs the budget allows, validation
            # included.
            epochs = max(1, min(args.epochs, int(args.minutes / minutes)))
        history.append(
            dict(
                epoch=epoch,
                train_loss=total / len(order),
                val_top1=top1,
                minutes=minutes))
        print(
            f'epoch {epoch}/{epochs}: train loss {total / len(order):.3f}, '
            f'val top-1 {top1:.2f} % (chance {100 / num_classes:.2f} %), '
            f'{minutes:.1f} min',
            flush=True)
        if args.minutes and epoch < epochs and (args.minutes - minutes
                                                < minutes / epoch):
            # Later epochs ran slower than the first: the budget holds,
            # the schedule does not finish.
            print(
                f'--minutes {args.minutes:g} spent after epoch {epoch} of '
                f'the {epochs} fitted: stopped before the schedule ended',
                flush=True)
            break
    return history


if __name__ == '__main__':
    main()
