"""A linear classifier fitted to convergence on frozen, cached features.

The training-time probe (``configs/benchmarks/*-linear-*``) runs the
frozen backbone on augmented images for a few epochs of SGD: cheap to
launch, but whether it has converged depends on the features (on the
shape data it had not for DINO's). This probe extracts the features once
(no augmentation) and fits a multinomial logistic regression with L-BFGS
until its gradient vanishes, its L2 weight decay chosen on a held-out
part of the training features: a figure that measures the features, not
the optimiser.
"""
from typing import Dict, Sequence, Tuple

import torch
import torch.nn.functional as F

from .knn import TOPK, topk_accuracy

# Weight decays tried (on standardised features), smallest first. On the
# shape data the held-out top-1 of most backbones rose up to 1e-5, the
# grid's first edge; from 1e-5 to 1e-7 it was flat within 0.4 points (the
# fit is as good as unregularised there), so the grid stops at 1e-7 and a
# win at its edge is flagged.
WEIGHT_DECAYS = (1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1)


def _standardise(train_feats: torch.Tensor, *others: torch.Tensor):
    """Features scaled by the training mean and std, so that one weight
    decay grid suits every backbone."""
    mean = train_feats.mean(dim=0)
    std = train_feats.std(dim=0).clamp_min(1e-6)
    return [(f - mean) / std for f in (train_feats, *others)]


def fit_logistic_regression(
        feats: torch.Tensor,
        labels: torch.Tensor,
        num_classes: int,
        weight_decay: float,
        max_iter: int = 1000) -> Tuple[torch.Tensor, torch.Tensor]:
    """Multinomial logistic regression by full-batch L-BFGS.

    Minimises mean cross-entropy + ``weight_decay`` / 2 * ||W||^2 (the
    bias is not decayed) from zero, so the fit is deterministic.

    Args:
        feats (torch.Tensor): Features (N, C).
        labels (torch.Tensor): Class indices (N, ).
        num_classes (int): Number of classes K.
        weight_decay (float): L2 coefficient of the weights.
        max_iter (int): L-BFGS iterations at most. Defaults to 1000.

    Returns:
        tuple: Weights (K, C) and bias (K, ).
    """
    feats = feats.double()
    weight = torch.zeros(
        num_classes, feats.shape[1], dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(num_classes, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([weight, bias],
                                  max_iter=max_iter,
                                  tolerance_grad=1e-6,
                                  tolerance_change=1e-10,
                                  history_size=20,
                                  line_search_fn='strong_wolfe')

    def closure():
        optimizer.zero_grad()
        logits = feats @ weight.t() + bias
        loss = F.cross_entropy(logits, labels)
        loss = loss + 0.5 * weight_decay * weight.pow(2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    return weight.detach(), bias.detach()


def linear_probe_evaluate(train_feats: torch.Tensor,
                          train_labels: torch.Tensor,
                          val_feats: torch.Tensor,
                          val_labels: torch.Tensor,
                          weight_decays: Sequence[float] = WEIGHT_DECAYS,
                          holdout: float = 0.2,
                          seed: int = 0,
                          topk: Sequence[int] = TOPK) -> Dict[str, float]:
    """Top-k accuracy (%) of a converged linear classifier on features.

    The weight decay is the one of ``weight_decays`` with the best top-1
    on a random ``holdout`` share of the training features (the largest
    on ties: the simplest classifier); the classifier is then refitted on
    all training features and scored on ``val``.

    Args:
        train_feats, train_labels: Training features and labels, (N, C)
            and (N, ).
        val_feats, val_labels: Features and labels scored, (Q, C), (Q, ).
        weight_decays (Sequence[float]): L2 coefficients tried.
        holdout (float): Share of the training features held out to choose
            the weight decay, in (0, 1). Defaults to 0.2.
        seed (int): Seed of the held-out split. Defaults to 0.
        topk (Sequence[int]): Accuracies to report. Defaults to (1, 5).

    Returns:
        dict: ``{'top1': ..., 'top5': ..., 'weight_decay': ...,
        'holdout_top1': {wd: top-1 on the held-out share, ...},
        'weight_decay_at_edge': ...}``. ``weight_decay_at_edge`` is True
        when the smallest weight decay tried won with a held-out top-1
        above the next one's: less decay might read more, so the top-1 is
        a lower bound.
    """
    if not 0 < holdout < 1:
        raise ValueError(f'holdout must be in (0, 1), got {holdout}')
    if not weight_decays:
        raise ValueError('weight_decays is empty')
    num_classes = int(torch.cat([train_labels, val_labels]).max()) + 1
    order = torch.randperm(
        len(train_labels), generator=torch.Generator().manual_seed(seed))
    num_held = max(1, int(round(holdout * len(order))))
    held, fit = order[:num_held], order[num_held:]
    if len(fit) == 0:
        raise ValueError(f'{len(order)} training features leave none to fit '
                         f'after a holdout of {holdout}')

    fit_feats, held_feats = _standardise(train_feats[fit], train_feats[held])
    holdout_top1 = {}
    for weight_decay in weight_decays:
        weight, bias = fit_logistic_regression(fit_feats, train_labels[fit],
                                               num_classes, weight_decay)
        scores = held_feats.double() @ weight.t() + bias
        holdout_top1[weight_decay] = topk_accuracy(scores, train_labels[held],
                                                   (1, ))['top1']
    best = max(holdout_top1.values())
    chosen = max(wd for wd, top1 in holdout_top1.items() if top1 == best)

    train_std, val_std = _standardise(train_feats, val_feats)
    weight, bias = fit_logistic_regression(train_std, train_labels,
                                           num_classes, chosen)
    scores = val_std.double() @ weight.t() + bias
    result = topk_accuracy(scores, val_labels, topk)
    smallest = sorted(holdout_top1)[:2]
    at_edge = (
        chosen == smallest[0] and len(smallest) == 2
        and holdout_top1[smallest[0]] > holdout_top1[smallest[1]])
    result.update(
        weight_decay=chosen,
        holdout_top1=holdout_top1,
        weight_decay_at_edge=at_edge)
    return result
