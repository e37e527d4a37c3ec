"""Can a backbone learn the shape data *with labels* at a given budget?

A supervised reference for the self-supervised comparison on the shape
data: trains a classifier from scratch on the train split and prints the
validation top-1 after every epoch. If the backbone does not learn shape
from labels in N epochs, no self-supervised method will show shape learning
in N epochs either. Images are loaded once into memory, flipped at random
and nothing else, so a run takes seconds per epoch on a CPU::

    python tools/analysis_tools/shapes_learnability.py --model vit --lr 3e-4
    python tools/analysis_tools/shapes_learnability.py --model cnn

``vit`` is the CPU recipes' backbone (``DilemmaViT`` of the size in
``RECIPE``: 4 layers, 192 wide, 3 heads, 8 px patches, 64 px; sin-cos
positions) with a linear head on its class token; ``cnn`` four 3x3
conv-BN-ReLU stages, a reference with the locality prior that ViTs lack.
"""
import argparse
import os
import os.path as osp
from typing import Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.registry import init_default_scope
from PIL import Image

import dilemma_mm  # noqa: F401  (registration)
from dilemma_mm.registry import MODELS
from dilemma_mm.utils import load_config

RECIPE = osp.join(
    osp.dirname(__file__), '../../configs/dilemma/'
    'dilemma-mocov3_vit-tiny-p8_1xb64-coslr-20e_shapes.py')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data', default='data/shapes')
    parser.add_argument('--model', choices=['vit', 'cnn'], default='vit')
    parser.add_argument('--epochs', type=int, default=4)
    parser.add_argument('--lr', type=float, default=3e-4)
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args(argv)


def load_split(root: str, split: str) -> Tuple[torch.Tensor, torch.Tensor]:
    """Images normalised to about [-2, 2], (N, 3, H, W), and labels (N, ),
    class indices in sorted folder order (as ``CustomDataset``)."""
    images, labels = [], []
    if not osp.isdir(osp.join(root, split)):
        raise FileNotFoundError(f'no folder {root}/{split}; run '
                                'tools/dataset_converters/make_shapes.py')
    classes = sorted(os.listdir(osp.join(root, split)))
    for label, name in enumerate(classes):
        folder = osp.join(root, split, name)
        for file in sorted(os.listdir(folder)):
            images.append(np.asarray(Image.open(osp.join(folder, file))))
            labels.append(label)
    if not images:
        raise FileNotFoundError(f'no images under {root}/{split}; run '
                                'tools/dataset_converters/make_shapes.py')
    pixels = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2)
    return (pixels.float() / 255 - .5) / .25, torch.tensor(labels)


class ViTClassifier(nn.Module):
    """The CPU recipes' ViT (size read from ``RECIPE``) with a linear head
    on its class token."""

    def __init__(self, num_classes: int) -> None:
        super().__init__()
        recipe = load_config(RECIPE).model.backbone
        init_default_scope('dilemma_mm')
        self.backbone = MODELS.build(
            dict(
                type='DilemmaViT',
                arch=recipe.arch,
                img_size=recipe.img_size,
                patch_size=recipe.patch_size,
                pos_embed_type='sincos',
                out_type='cls_token'))
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


def main(argv=None) -> list:
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    train_images, train_labels = load_split(args.data, 'train')
    val_images, val_labels = load_split(args.data, 'val')
    num_classes = int(train_labels.max()) + 1
    model = (
        ViTClassifier(num_classes)
        if args.model == 'vit' else small_cnn(num_classes))
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=args.lr, weight_decay=0.05)
    history = []
    for epoch in range(1, args.epochs + 1):
        model.train()
        order, total = torch.randperm(len(train_images)), 0.
        for start in range(0, len(order), args.batch_size):
            batch = order[start:start + args.batch_size]
            images = train_images[batch]
            flip = torch.rand(len(batch)) < .5
            images[flip] = images[flip].flip(-1)
            loss = F.cross_entropy(model(images), train_labels[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        model.eval()
        with torch.no_grad():
            predictions = torch.cat([
                model(chunk).argmax(1)
                for chunk in val_images.split(args.batch_size * 4)
            ])
        top1 = (predictions == val_labels).float().mean().item() * 100
        history.append(
            dict(epoch=epoch, train_loss=total / len(order), val_top1=top1))
        print(
            f'epoch {epoch}: train loss {total / len(order):.3f}, '
            f'val top-1 {top1:.2f} % (chance {100 / num_classes:.2f} %)',
            flush=True)
    return history


if __name__ == '__main__':
    main()
