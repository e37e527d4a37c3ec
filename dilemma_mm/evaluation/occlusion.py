"""Accuracy of a classifier as image patches are occluded or shuffled.

Two corruptions on the ViT's patch grid, each applied to a fraction of the
patches chosen at random per image:

- ``'zero'``: the patches are set to 0 after normalisation, i.e. to the
  dataset's mean colour; what remains is an occluded image.
- ``'shuffle'``: the chosen patches swap places in a random permutation.
  Every patch keeps its pixels (texture) while the layout (shape) is
  destroyed; at ratio 1 the whole image is a jigsaw.

The patches of an image are ranked once by a random score and a ratio
corrupts the first ``round(ratio * L)`` of them, so the corrupted sets are
nested across ratios: an image's curve only ever loses patches, and the
curves of different models see the same masks for the same seed.
"""
import json
import os
import os.path as osp
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn

MODES = ('zero', 'shuffle')
DEFAULT_RATIOS = tuple(i / 10 for i in range(10))


def to_patches(images: torch.Tensor, patch_size: int) -> torch.Tensor:
    """(B, C, H, W) -> (B, L, C, p, p), patches in row-major grid order."""
    B, C, H, W = images.shape
    p = patch_size
    if H % p or W % p:
        raise ValueError(f'image size {H}x{W} is not a multiple of the '
                         f'patch size {p}')
    x = images.reshape(B, C, H // p, p, W // p, p)
    return x.permute(0, 2, 4, 1, 3, 5).reshape(B, -1, C, p, p)


def from_patches(patches: torch.Tensor, height: int,
                 width: int) -> torch.Tensor:
    """Inverse of :func:`to_patches`: (B, L, C, p, p) -> (B, C, H, W)."""
    B, _, C, p, _ = patches.shape
    x = patches.reshape(B, height // p, width // p, C, p, p)
    return x.permute(0, 3, 1, 4, 2, 5).reshape(B, C, height, width)


def random_patch_order(batch_size: int,
                       num_patches: int,
                       generator: Optional[torch.Generator] = None,
                       device=None) -> torch.Tensor:
    """A random ranking of the patches of each image, (B, L) indices."""
    scores = torch.rand(batch_size, num_patches, generator=generator)
    return scores.argsort(dim=1).to(device)


def _num_corrupted(ratio: float, num_patches: int) -> int:
    if not 0 <= ratio <= 1:
        raise ValueError(f'ratio must be in [0, 1], got {ratio}')
    return int(round(ratio * num_patches))


def occlude_patches(images: torch.Tensor, order: torch.Tensor, ratio: float,
                    patch_size: int) -> torch.Tensor:
    """Zero the first ``round(ratio * L)`` patches of ``order``.

    Args:
        images (torch.Tensor): Normalised images, (B, C, H, W).
        order (torch.Tensor): Patch ranking per image, (B, L).
        ratio (float): Fraction of patches to zero, in [0, 1].
        patch_size (int): Side of a square patch in pixels.

    Returns:
        torch.Tensor: A corrupted copy, (B, C, H, W).
    """
    patches = to_patches(images, patch_size).clone()  # (B, L, C, p, p)
    n = _num_corrupted(ratio, patches.shape[1])
    rows = torch.arange(len(images), device=images.device)[:, None]
    patches[rows, order[:, :n]] = 0
    return from_patches(patches, *images.shape[-2:])


def shuffle_patches(
        images: torch.Tensor,
        order: torch.Tensor,
        ratio: float,
        patch_size: int,
        generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """Permute the first ``round(ratio * L)`` patches of ``order`` among
    their own positions (a random permutation, which may leave some in
    place).

    Args:
        images (torch.Tensor): Images, (B, C, H, W).
        order (torch.Tensor): Patch ranking per image, (B, L).
        ratio (float): Fraction of patches to shuffle, in [0, 1].
        patch_size (int): Side of a square patch in pixels.
        generator (torch.Generator, optional): Source of the permutation.

    Returns:
        torch.Tensor: A shuffled copy, (B, C, H, W).
    """
    patches = to_patches(images, patch_size)  # (B, L, C, p, p)
    n = _num_corrupted(ratio, patches.shape[1])
    chosen = order[:, :n]  # (B, n) positions to refill
    perm = torch.rand(len(images), n, generator=generator).argsort(dim=1)
    sources = chosen.gather(1, perm.to(chosen.device))  # (B, n)
    rows = torch.arange(len(images), device=images.device)[:, None]
    shuffled = patches.clone()
    shuffled[rows, chosen] = patches[rows, sources]
    return from_patches(shuffled, *images.shape[-2:])


def infer_patch_size(backbone: nn.Module) -> int:
    """The patch size of a ViT-like backbone: its ``patch_size`` attribute
    or the stride of its ``patch_embed.projection`` convolution."""
    size = getattr(backbone, 'patch_size', None)
    if size is None:
        projection = getattr(
            getattr(backbone, 'patch_embed', None), 'projection', None)
        size = getattr(projection, 'stride', None)
    if size is None:
        raise ValueError(f'cannot tell the patch size of '
                         f'{type(backbone).__name__}; pass it explicitly')
    if isinstance(size, (tuple, list)):
        if len(set(size)) != 1:
            raise ValueError(f'non-square patches {size} are not supported')
        size = size[0]
    return int(size)


@torch.no_grad()
def evaluate_occlusion(
        model: nn.Module,
        dataloader: Iterable[dict],
        patch_size: int,
        ratios: Sequence[float] = DEFAULT_RATIOS,
        modes: Sequence[str] = MODES,
        seed: int = 0,
        max_batches: Optional[int] = None
) -> Tuple[Dict[str, List[float]], int]:
    """Top-1 accuracy (%) of ``model`` per corruption mode and ratio.

    Args:
        model (nn.Module): A classifier with mmpretrain's interface: a
            ``data_preprocessor`` and ``predict(inputs, data_samples)``
            that fills ``pred_label`` (e.g. ``ImageClassifier``).
        dataloader (Iterable[dict]): Evaluation batches with ``gt_label``,
            in a fixed order.
        patch_size (int): Side of the square patches in pixels.
        ratios (Sequence[float]): Fractions of corrupted patches.
        modes (Sequence[str]): Any of ``'zero'`` and ``'shuffle'``.
        seed (int): Seed of the patch rankings and permutations.
        max_batches (int, optional): Stop after this many batches.

    Returns:
        tuple: ``{mode: [top-1 per ratio]}`` and the number of images.
    """
    unknown = set(modes) - set(MODES)
    if unknown:
        raise ValueError(f'unknown modes {sorted(unknown)}; choose from '
                         f'{MODES}')
    generator = torch.Generator().manual_seed(seed)
    correct = {mode: [0] * len(ratios) for mode in modes}
    total = 0
    was_training = model.training
    model.eval()
    try:
        for i, data_batch in enumerate(dataloader):
            if max_batches is not None and i >= max_batches:
                break
            data = model.data_preprocessor(data_batch, False)
            images, samples = data['inputs'], data['data_samples']
            labels = torch.tensor([int(s.gt_label) for s in samples])
            num_patches = to_patches(images[:1], patch_size).shape[1]
            order = random_patch_order(
                len(images), num_patches, generator, device=images.device)
            for mode in modes:
                for j, ratio in enumerate(ratios):
                    if mode == 'zero':
                        corrupted = occlude_patches(images, order, ratio,
                                                    patch_size)
                    else:
                        corrupted = shuffle_patches(images, order, ratio,
                                                    patch_size, generator)
                    preds = model.predict(corrupted, samples)
                    pred = torch.tensor([int(s.pred_label) for s in preds])
                    correct[mode][j] += int((pred == labels).sum())
            total += len(images)
    finally:
        model.train(was_training)
    if total == 0:
        raise ValueError('the dataloader yielded no images')
    return {
        m: [100. * c / total for c in cs]
        for m, cs in correct.items()
    }, total


def format_table(ratios: Sequence[float], top1: Dict[str, List[float]]) -> str:
    """The accuracies as a text table, one row per ratio."""
    modes = list(top1)
    lines = ['occluded  ' + ''.join(f'{m:>10}' for m in modes)]
    for j, ratio in enumerate(ratios):
        lines.append(f'{100 * ratio:7.0f} %  ' + ''.join(f'{top1[m][j]:10.2f}'
                                                         for m in modes))
    return '\n'.join(lines)


def save_results(results: dict,
                 png_file: str,
                 title: Optional[str] = None) -> str:
    """Write ``results`` as JSON beside a PNG plot of its curves.

    Args:
        results (dict): Holds ``ratios`` and ``top1`` (``{mode: [...]}``)
            and optionally ``chance`` (top-1 of a random guess, %).
        png_file (str): Path of the plot; the JSON gets the suffix
            ``.json`` instead.
        title (str, optional): Title of the plot.

    Returns:
        str: The JSON path.
    """
    import matplotlib
    matplotlib.use('Agg')  # no display needed
    import matplotlib.pyplot as plt

    os.makedirs(osp.dirname(osp.abspath(png_file)), exist_ok=True)
    json_file = osp.splitext(png_file)[0] + '.json'
    with open(json_file, 'w') as f:
        json.dump(results, f, indent=2)

    labels = dict(zero='patches zeroed', shuffle='patches shuffled')
    xs = [100 * r for r in results['ratios']]
    fig, ax = plt.subplots(figsize=(5, 3.6), dpi=120)
    for mode, ys in results['top1'].items():
        ax.plot(xs, ys, marker='o', label=labels.get(mode, mode))
    if results.get('chance') is not None:
        ax.axhline(
            results['chance'], color='grey', linestyle='--', label='chance')
    ax.set_xlabel('corrupted patches (%)')
    ax.set_ylabel('top-1 accuracy (%)')
    ax.set_ylim(0, 100)
    ax.grid(alpha=.3)
    ax.legend()
    if title:
        ax.set_title(title, fontsize=8)
    fig.tight_layout()
    fig.savefig(png_file)
    plt.close(fig)
    return json_file
