"""Weighted k-NN evaluation of frozen features, as in DINO.

The training set's L2-normalised features form a memory bank; each query
votes with its ``k`` most cosine-similar bank entries, each weighted by
``exp(similarity / T)`` and summed per class (DINO's ``knn_classifier``,
k=20, T=0.07). :func:`extract_features` gets features from a backbone
over a dataloader (a ViT's class token, or the mean of its patch tokens:
:data:`FEATURE_OUT_TYPES`), :func:`gather_features` assembles them across
ranks; :func:`build_feature_backbone` and :func:`eval_pipeline` give the
evaluation tools their backbone and images.
"""
import contextlib
import copy
from typing import (Callable, Dict, Iterable, Iterator, Optional, Sequence,
                    Tuple)

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine import dist
from mmpretrain.models.utils import ClsDataPreprocessor

from dilemma_mm.registry import MODELS
from ..checkpoint import load_backbone_checkpoint

# Names of the normalisation settings a data preprocessor config may hold.
_NORM_KEYS = ('mean', 'std', 'to_rgb')
TOPK = (1, 5)
# The features of a ViT and the ``out_type`` that gives each: the normed
# class token, or the final-normed patch tokens as a (B, C, h, w) map that
# :func:`_as_feature` averages. ``'avg_featmap'`` would add a LayerNorm
# (``ln2``) that no pretraining checkpoint holds.
FEATURE_OUT_TYPES = dict(cls_token='cls_token', patch_mean='featmap')


@torch.no_grad()
def knn_classify(train_feats: torch.Tensor,
                 train_labels: torch.Tensor,
                 query_feats: torch.Tensor,
                 num_classes: Optional[int] = None,
                 k: int = 20,
                 temperature: float = 0.07,
                 chunk_size: int = 1024) -> torch.Tensor:
    """Class scores of queries by a similarity-weighted vote of neighbours.

    Args:
        train_feats (torch.Tensor): Memory bank features, (N, C).
        train_labels (torch.Tensor): Their labels, (N, ) integers.
        query_feats (torch.Tensor): Features to classify, (Q, C).
        num_classes (int, optional): Defaults to ``max(train_labels) + 1``.
        k (int): Neighbours per query (fewer if the bank is smaller).
        temperature (float): Vote weight ``exp(cos_sim / temperature)``.
        chunk_size (int): Queries per similarity matrix, to bound memory.

    Returns:
        torch.Tensor: Summed vote weights per class, (Q, num_classes).
    """
    if train_feats.shape[0] != train_labels.shape[0]:
        raise ValueError(f'{train_feats.shape[0]} bank features but '
                         f'{train_labels.shape[0]} labels')
    if k < 1 or temperature <= 0:
        raise ValueError(f'need k >= 1 and temperature > 0, got k={k}, '
                         f'temperature={temperature}')
    train_labels = train_labels.long()
    if num_classes is None:
        num_classes = int(train_labels.max()) + 1
    k = min(k, train_feats.shape[0])
    bank = F.normalize(train_feats.float(), dim=1)  # (N, C)
    scores = []
    for queries in query_feats.float().split(chunk_size):
        sim = F.normalize(queries, dim=1) @ bank.T  # (q, N)
        top_sim, top_idx = sim.topk(k, dim=1)  # (q, k), sorted
        # Shifting by the row maximum scales a query's weights by one
        # factor (same vote) and keeps exp() finite for small T.
        weights = ((top_sim - top_sim[:, :1]) / temperature).exp()
        votes = queries.new_zeros(len(queries), num_classes)
        scores.append(votes.scatter_add_(1, train_labels[top_idx],
                                         weights))  # (q, K)
    if not scores:
        return query_feats.new_zeros(0, num_classes)
    return torch.cat(scores)


def topk_accuracy(scores: torch.Tensor,
                  labels: torch.Tensor,
                  topk: Sequence[int] = TOPK) -> Dict[str, float]:
    """Top-k accuracy in %, keys ``top<k>``; k is capped at the number of
    classes. Ties go to the lower class index, as ``torch.topk`` breaks
    them."""
    labels = labels.long().view(-1, 1)
    num = max(len(labels), 1)
    result = {}
    for k in topk:
        pred = scores.topk(min(k, scores.shape[1]), dim=1).indices  # (Q, k)
        correct = (pred == labels).any(dim=1).sum().item()
        result[f'top{k}'] = 100. * correct / num
    return result


def knn_evaluate(train_feats: torch.Tensor,
                 train_labels: torch.Tensor,
                 val_feats: torch.Tensor,
                 val_labels: torch.Tensor,
                 k: int = 20,
                 temperature: float = 0.07,
                 topk: Sequence[int] = TOPK) -> Dict[str, float]:
    """Top-k accuracy (%) of weighted k-NN of ``val`` against ``train``.

    Args:
        train_feats, train_labels: Memory bank, (N, C) and (N, ).
        val_feats, val_labels: Queries and their true labels, (Q, C), (Q, ).
        k (int): Neighbours. Defaults to 20.
        temperature (float): Vote temperature. Defaults to 0.07.
        topk (Sequence[int]): Accuracies to report. Defaults to (1, 5).

    Returns:
        dict: ``{'top1': ..., 'top5': ...}`` in %.
    """
    num_classes = int(torch.cat([train_labels, val_labels]).max()) + 1
    scores = knn_classify(train_feats, train_labels, val_feats, num_classes, k,
                          temperature)
    return topk_accuracy(scores, val_labels, topk)


def build_cls_preprocessor(cfg: Optional[dict] = None) -> ClsDataPreprocessor:
    """A single-view preprocessor with the normalisation of ``cfg``.

    ``cfg`` may be any data preprocessor config (a pretraining config's
    ``SelfSupDataPreprocessor`` too); only ``mean``, ``std`` and ``to_rgb``
    are kept, since evaluation sees one plain view per image. Defaults to
    ImageNet's statistics.
    """
    settings = dict(
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True)
    settings.update({k: v for k, v in (cfg or {}).items() if k in _NORM_KEYS})
    return ClsDataPreprocessor(**settings)


def preprocessor_like(module: nn.Module) -> ClsDataPreprocessor:
    """A :class:`ClsDataPreprocessor` normalising as the built ``module``
    (e.g. a model's ``SelfSupDataPreprocessor``) does."""
    cfg = {}
    if getattr(module, '_enable_normalize', True) and hasattr(module, 'mean'):
        cfg = dict(
            mean=module.mean.view(-1).tolist(),
            std=module.std.view(-1).tolist())
    # mmengine's preprocessors call it _channel_conversion, mmpretrain's
    # ClsDataPreprocessor to_rgb.
    cfg['to_rgb'] = bool(
        getattr(module, '_channel_conversion', getattr(module, 'to_rgb',
                                                       False)))
    return build_cls_preprocessor(cfg)


def feature_out_type(feature: str) -> str:
    """The ViT ``out_type`` of a feature name of :data:`FEATURE_OUT_TYPES`."""
    if feature not in FEATURE_OUT_TYPES:
        raise ValueError(f'unknown feature {feature!r}, choose from '
                         f'{", ".join(FEATURE_OUT_TYPES)}')
    return FEATURE_OUT_TYPES[feature]


@contextlib.contextmanager
def vit_feature(backbone: nn.Module, feature: str) -> Iterator[nn.Module]:
    """Inside the ``with``, a ViT ``backbone`` (one with an ``out_type``, as
    mmpretrain's) outputs ``feature`` (a key of :data:`FEATURE_OUT_TYPES`);
    then its own ``out_type`` is back. Backbones without one (CNNs) give
    their output as built. For a backbone being trained (the k-NN hook):
    no rebuild, no weights copied."""
    out_type = feature_out_type(feature)
    if not hasattr(backbone, 'out_type'):
        yield backbone
        return
    if out_type == 'cls_token' and getattr(backbone, 'cls_token',
                                           None) is None:
        raise ValueError(f'{type(backbone).__name__} has no class token; '
                         "use feature='patch_mean'")
    own_out_type, backbone.out_type = backbone.out_type, out_type
    try:
        yield backbone
    finally:
        backbone.out_type = own_out_type


def _as_feature(outs) -> torch.Tensor:
    """The (B, C) feature of a backbone output: the last stage's class
    token, or the spatial mean of a (B, C, H, W) feature map (a ViT's
    ``out_type='featmap'``: the mean of its final-normed patch tokens)."""
    feat = outs[-1] if isinstance(outs, (tuple, list)) else outs
    if isinstance(feat, (tuple, list)):
        raise ValueError('the backbone returns a tuple per stage; k-NN needs '
                         "one tensor per image (out_type='cls_token' or "
                         "'featmap')")
    if feat.dim() == 4:
        feat = feat.mean(dim=(2, 3))
    if feat.dim() != 2:
        raise ValueError(f'expected (B, C) features, got {tuple(feat.shape)}')
    return feat


@torch.no_grad()
def extract_features(
    backbone: nn.Module,
    dataloader: Iterable[dict],
    preprocessor: Callable,
    device: Optional[torch.device] = None
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Features and labels of every batch of ``dataloader``, in order.

    The backbone runs in eval mode (its previous mode is restored).

    Args:
        backbone (nn.Module): Maps images (B, 3, H, W) to a tuple of stage
            outputs, the last of which is the feature: for ViTs with
            ``out_type='cls_token'`` the normed class token (B, C), with
            ``'featmap'`` the final-normed patch tokens (B, C, h, w),
            averaged here over the grid (see :func:`vit_feature`).
        dataloader (Iterable[dict]): Yields ``PackInputs`` batches.
        preprocessor (Callable): ``preprocessor(batch, False)`` returns
            ``dict(inputs=(B, 3, H, W), data_samples=[...])``, e.g. from
            :func:`build_cls_preprocessor`.
        device (torch.device, optional): Where to run. Defaults to the
            backbone's device.

    Returns:
        tuple: Features (N, C) and labels (N, ) on the CPU.
    """
    if device is None:
        device = next(backbone.parameters()).device
    was_training = backbone.training
    backbone.eval()
    feats, labels = [], []
    try:
        for data_batch in dataloader:
            data = preprocessor(data_batch, False)
            feats.append(_as_feature(backbone(data['inputs'].to(device))))
            labels += [int(s.gt_label) for s in data['data_samples']]
    finally:
        backbone.train(was_training)
    if not feats:
        raise ValueError('the dataloader yielded no images')
    return torch.cat(feats).float().cpu(), torch.tensor(labels)


def gather_features(feats: torch.Tensor,
                    labels: torch.Tensor,
                    dataset_size: int,
                    device: str = 'cpu') -> Optional[Tuple[torch.Tensor, ...]]:
    """Assemble per-rank features in dataset order on rank 0.

    Each rank holds the samples mmengine's ``DefaultSampler`` gave it
    (rank ``r`` takes indices ``r, r + world_size, ...``, the last padded
    by repetition); ``mmengine.dist.collect_results`` interleaves them back
    and drops the padding, so every image is in the bank exactly once.

    Args:
        feats (torch.Tensor): This rank's features, (n, C).
        labels (torch.Tensor): This rank's labels, (n, ).
        dataset_size (int): Number of images in the dataset.
        device (str): ``'cpu'`` (through a shared temporary folder) or
            ``'gpu'`` (through the process group), as in
            ``collect_results``.

    Returns:
        tuple | None: All features (N, C) and labels (N, ) on rank 0;
        ``None`` on other ranks. In a single process, the inputs.
    """
    if dist.get_world_size() == 1:
        return feats, labels
    parts = dist.collect_results(
        list(zip(feats, labels)), dataset_size, device=device)
    if parts is None:
        return None
    return (torch.stack([f.cpu() for f, _ in parts]),
            torch.stack([lbl.cpu() for _, lbl in parts]))


def build_feature_backbone(
        backbone_cfg: dict,
        checkpoint: str,
        prefix: str = 'backbone.',
        logger=None,
        allow_partial: bool = False,
        feature: str = 'cls_token') -> Tuple[nn.Module, dict]:
    """A config's ViT backbone with a checkpoint's weights, returning
    ``feature``: the normed class token (``'cls_token'``) or the
    final-normed patch tokens (``'patch_mean'``, ``out_type='featmap'``,
    which :func:`extract_features` averages). Neither adds a parameter, so
    a checkpoint loads whole for both.

    Build it in the config's default scope. Returns the backbone and the
    result of :func:`load_backbone_checkpoint` (missing and unexpected keys;
    a partial load raises unless ``allow_partial``).
    """
    backbone_cfg = copy.deepcopy(backbone_cfg)
    backbone_cfg['init_cfg'] = None  # the checkpoint comes next
    backbone_cfg['out_type'] = feature_out_type(feature)
    # A linear-probe config freezes stages; irrelevant without training.
    backbone_cfg.pop('frozen_stages', None)
    backbone = MODELS.build(backbone_cfg)
    load_result = load_backbone_checkpoint(backbone, checkpoint, prefix,
                                           logger, allow_partial)
    return backbone, load_result


def eval_pipeline(img_size: int, crop_ratio: Optional[float] = None) -> list:
    """Resize the short side and centre crop to ``img_size``; a bad image
    stops the evaluation with its name (a k-NN score over a silently smaller
    set is not comparable)."""
    if crop_ratio is None:
        crop_ratio = 224 / 256 if img_size >= 128 else 1.
    return [
        dict(type='LoadImageFromFileSafe', on_error='raise'),
        dict(
            type='ResizeEdge',
            scale=int(round(img_size / crop_ratio)),
            edge='short',
            backend='pillow',
            interpolation='bicubic'),
        dict(type='CenterCrop', crop_size=img_size),
        dict(type='PackInputs'),
    ]
