"""A classification head that predicts every level of a label hierarchy."""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.evaluation.metrics import Accuracy
from mmpretrain.models.heads import ClsHead
from mmpretrain.structures import DataSample

from dilemma_mm.registry import MODELS


@MODELS.register_module()
class HierarchicalClsHead(ClsHead):
    """One linear classifier per level on shared features, losses summed.

    Made for YOGA-82 (levels 6, 20, 82): the dataset puts ``gt_label_6``,
    ``gt_label_20`` and ``gt_label_82`` in every data info, and
    ``PackInputs(algorithm_keys=['gt_label_6', 'gt_label_20',
    'gt_label_82'])`` carries them into the data samples (by default
    ``PackInputs`` keeps only ``gt_label``).

    ``predict`` writes ``pred_score_<n>`` and ``pred_label_<n>`` for every
    level with ``n`` classes, and the usual ``pred_score`` / ``pred_label``
    for ``main_level``, so mmpretrain's ``Accuracy`` scores that level
    against ``gt_label`` and ``HierarchicalAccuracy`` scores all of them.

    Args:
        in_channels (int): Feature width.
        num_classes (Sequence[int]): Classes per level, coarse to fine.
            Defaults to ``(6, 20, 82)``.
        label_keys (Sequence[str], optional): Data-sample field of each
            level's label. Defaults to ``gt_label_<n>``.
        loss_weights (Sequence[float], optional): Weight of each level's
            loss. Defaults to 1 for every level.
        main_level (int): Index into ``num_classes`` of the level reported
            as ``pred_label``. Defaults to -1 (the finest).
        loss (dict): Config of the per-level loss. Defaults to
            ``dict(type='CrossEntropyLoss', loss_weight=1.0)``.
        topk (int | Tuple[int]): Top-k of the training accuracy.
        cal_acc (bool): Log each level's training accuracy.
        init_cfg (dict, optional): Initialisation config. Defaults to
            ``dict(type='Normal', layer='Linear', std=0.01)``.
    """

    def __init__(
        self,
        in_channels: int,
        num_classes: Sequence[int] = (6, 20, 82),
        label_keys: Optional[Sequence[str]] = None,
        loss_weights: Optional[Sequence[float]] = None,
        main_level: int = -1,
        loss: dict = dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk: Union[int, Tuple[int]] = (1, ),
        cal_acc: bool = False,
        init_cfg: Optional[dict] = dict(
            type='Normal', layer='Linear', std=0.01)
    ) -> None:
        super().__init__(
            loss=loss, topk=topk, cal_acc=cal_acc, init_cfg=init_cfg)
        self.in_channels = in_channels
        self.num_classes = tuple(num_classes)
        self.label_keys = tuple(label_keys
                                or [f'gt_label_{n}' for n in self.num_classes])
        self.loss_weights = tuple(loss_weights or [1.] * len(num_classes))
        if not (len(self.label_keys) == len(self.loss_weights) == len(
                self.num_classes)) or min(self.num_classes) <= 0:
            raise ValueError('num_classes, label_keys and loss_weights need '
                             'one positive entry per level')
        self.main_level = main_level
        self.topk = (topk, ) if isinstance(topk, int) else tuple(topk)
        self.fcs = nn.ModuleList(
            nn.Linear(in_channels, n) for n in self.num_classes)

    def pre_logits(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """The last stage's features, (B, in_channels)."""
        return feats[-1]

    def forward(self, feats: Tuple[torch.Tensor]) -> Tuple[torch.Tensor]:
        """Logits of every level, each (B, num_classes[level])."""
        pre_logits = self.pre_logits(feats)
        return tuple(fc(pre_logits) for fc in self.fcs)

    def _targets(self, data_samples: List[DataSample], key: str,
                 device: torch.device) -> torch.Tensor:
        """The (B, ) labels stored under ``key``."""
        if key not in data_samples[0]:
            raise KeyError(
                f'Data samples lack {key!r}; pack it with PackInputs('
                f"algorithm_keys=[..., '{key}'])")
        return torch.as_tensor([int(ds.get(key)) for ds in data_samples],
                               device=device)

    def loss(self, feats: Tuple[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> dict:
        """Weighted cross-entropy of each level, as ``loss_level<n>``.

        mmengine sums every ``loss*`` entry, so the total is their sum.
        """
        losses = dict()
        for n, key, weight, logits in zip(self.num_classes, self.label_keys,
                                          self.loss_weights, self(feats)):
            target = self._targets(data_samples, key, logits.device)
            losses[f'loss_level{n}'] = weight * self.loss_module(
                logits, target, avg_factor=logits.size(0), **kwargs)
            if self.cal_acc:
                topk = [k for k in self.topk if k <= n]
                # thrs=None: the default threshold 0 would count a correct
                # class with a negative logit as a miss.
                accs = Accuracy.calculate(
                    logits.detach(), target, topk=topk, thrs=(None, ))
                losses.update({
                    f'accuracy_level{n}_top-{k}': acc[0]
                    for k, acc in zip(topk, accs)
                })
        return losses

    def predict(
        self,
        feats: Tuple[torch.Tensor],
        data_samples: Optional[List[Optional[DataSample]]] = None
    ) -> List[DataSample]:
        """Scores and labels of every level in each data sample."""
        all_logits = self(feats)
        batch = all_logits[0].size(0)
        if data_samples is None:
            data_samples = [None] * batch
        data_samples = [
            ds if ds is not None else DataSample() for ds in data_samples
        ]
        main_n = self.num_classes[self.main_level]
        for n, logits in zip(self.num_classes, all_logits):
            scores = F.softmax(logits, dim=1).detach()
            labels = scores.argmax(dim=1, keepdim=True)
            for ds, score, label in zip(data_samples, scores, labels):
                ds.set_field(score, f'pred_score_{n}')
                ds.set_field(label, f'pred_label_{n}')
                if n == main_n:
                    ds.set_pred_score(score).set_pred_label(label)
        return data_samples
