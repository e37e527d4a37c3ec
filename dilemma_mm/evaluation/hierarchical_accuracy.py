"""Top-k accuracy at every level of a label hierarchy."""
from typing import List, Optional, Sequence

import torch
from mmengine.evaluator import BaseMetric

from dilemma_mm.registry import METRICS


@METRICS.register_module()
class HierarchicalAccuracy(BaseMetric):
    """Top-k accuracy (in %) of each level, keys ``level<n>/top<k>``.

    Reads what :class:`~dilemma_mm.models.heads.HierarchicalClsHead` writes
    (``pred_score_<n>``) and the labels the dataset provides (``gt_label_<n>``,
    kept by ``PackInputs(algorithm_keys=[...])``). A ``k`` larger than a
    level's class count is skipped for that level.

    Args:
        num_classes (Sequence[int]): Classes per level. Defaults to
            ``(6, 20, 82)``.
        topk (Sequence[int]): The k values. Defaults to ``(1, 5)``.
        label_keys (Sequence[str], optional): Label field of each level.
            Defaults to ``gt_label_<n>``.
        collect_device (str): Device to gather results on in distributed
            evaluation, ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the metric names, as in
            ``<prefix>/level6/top1``. Defaults to none.
    """

    # Empty, not None: the keys already say what they are, and mmengine
    # warns about a None prefix.
    default_prefix: Optional[str] = ''

    def __init__(self,
                 num_classes: Sequence[int] = (6, 20, 82),
                 topk: Sequence[int] = (1, 5),
                 label_keys: Optional[Sequence[str]] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.num_classes = tuple(num_classes)
        self.topk = (topk, ) if isinstance(topk, int) else tuple(topk)
        self.label_keys = tuple(label_keys
                                or [f'gt_label_{n}' for n in self.num_classes])

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Keep each sample's scores and labels of every level."""
        for sample in data_samples:
            result = {}
            for n, key in zip(self.num_classes, self.label_keys):
                result[n] = (sample[f'pred_score_{n}'].cpu(), int(sample[key]))
            self.results.append(result)

    def compute_metrics(self, results: List[dict]) -> dict:
        metrics = {}
        for n in self.num_classes:
            scores = torch.stack([r[n][0] for r in results])  # (N, n)
            labels = torch.tensor([r[n][1] for r in results])  # (N, )
            ks = [k for k in self.topk if k <= n]
            top = scores.topk(max(ks), dim=1).indices  # (N, max_k)
            hits = top == labels[:, None]
            for k in ks:
                accuracy = hits[:, :k].any(1).float().mean().item() * 100
                metrics[f'level{n}/top{k}'] = accuracy
        return metrics
