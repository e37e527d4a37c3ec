"""Threshold-free scores of a binary detector, computed on the device.

Accuracy at threshold 0.5 reads the all-negative rate (0.8 at p = 0.2)
until the logits of misplaced tokens rise above zero, long after their
*ranking* has started to separate the classes. ROC AUC and average
precision measure that ranking. Both are pure tensor code: no
``.item()``, no Python branch on a tensor's value, so a training step that
logs them waits for the device no more than logging already does.
"""
import torch


def _average_ranks(scores: torch.Tensor) -> torch.Tensor:
    """1-based ranks of ``scores`` (N, ) in ascending order; tied scores
    share the mean of their ranks (what Mann-Whitney U needs)."""
    ordered = scores.sort().values
    below = torch.searchsorted(ordered, scores, right=False)  # < score
    up_to = torch.searchsorted(ordered, scores, right=True)  # <= score
    return (below + up_to + 1).to(torch.float64) / 2


def binary_auc(scores: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Area under the ROC curve of ``scores`` for the positives of
    ``target``, ties counting one half.

    Args:
        scores (torch.Tensor): Scores or logits, any shape.
        target (torch.Tensor): 1 (or True) for positives, same shape.

    Returns:
        torch.Tensor: A float32 scalar on the input's device: 1 when every
        positive outranks every negative, 0.5 for a constant or random
        score, 0 when inverted. 0.5 as well when one class is absent, where
        the AUC is undefined.
    """
    scores = scores.detach().flatten().float()
    positive = target.detach().flatten().bool()
    num_pos = positive.sum().to(torch.float64)
    num_neg = positive.numel() - num_pos
    rank_sum = (_average_ranks(scores) * positive).sum()
    u_stat = rank_sum - num_pos * (num_pos + 1) / 2
    auc = u_stat / (num_pos * num_neg).clamp(min=1)
    return torch.where(num_pos * num_neg > 0, auc,
                       torch.full_like(auc, .5)).float()


def average_precision(scores: torch.Tensor,
                      target: torch.Tensor) -> torch.Tensor:
    """Average precision (area under the precision-recall curve, as
    scikit-learn's ``average_precision_score``) of the positives.

    Tied scores are ordered by their position, so with ties the value can
    differ slightly from a tie-aware implementation. The base rate (the
    fraction of positives) is what a constant or random score gets.

    Args:
        scores (torch.Tensor): Scores or logits, any shape.
        target (torch.Tensor): 1 (or True) for positives, same shape.

    Returns:
        torch.Tensor: A float32 scalar on the input's device; 0 when there
        is no positive.
    """
    scores = scores.detach().flatten().float()
    positive = target.detach().flatten().float()
    order = scores.argsort(descending=True, stable=True)
    hits = positive[order]
    precision = hits.cumsum(0) / torch.arange(
        1, hits.numel() + 1, device=hits.device, dtype=hits.dtype)
    return (precision * hits).sum() / hits.sum().clamp(min=1)


__all__ = ['binary_auc', 'average_precision']
