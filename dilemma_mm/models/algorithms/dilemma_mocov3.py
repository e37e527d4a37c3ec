from typing import Dict, List

import torch
import torch.nn as nn
from mmpretrain.models.selfsup import MoCoV3
from mmpretrain.structures import DataSample

from dilemma_mm.registry import MODELS
from ..utils import ForeachCosineEMA
from .misplacement_branch import MisplacementBranchMixin


@MODELS.register_module()
class DilemmaMoCoV3(MisplacementBranchMixin, MoCoV3):
    """MoCo v3 with DILEMMA.

    Implementation of `DILEMMA: Self-Supervised Shape and Texture Learning
    with Transformers <https://arxiv.org/abs/2204.04788>`_.

    The online encoder (backbone + neck) sees the sparse, corrupted views and
    feeds their patch tokens to the misplacement head; the momentum encoder,
    a :class:`ForeachCosineEMA` (mmpretrain's ``CosineEMA`` without device
    syncs), sees the clean, dense views. Same-size views are encoded as one
    group, but the necks see one view at a time (BatchNorm statistics per
    view, as in :class:`MoCoV3`). With nothing dropped or misplaced,
    ``loss_mocov3`` is :class:`MoCoV3`'s on the same weights and inputs.

    Args:
        misplacement_head (dict, optional): Config of the
            :class:`MisplacementHead`; ``in_channels`` defaults to the
            backbone width. Defaults to None (a linear head).
        **kwargs: The arguments of :class:`MoCoV3`, the backbone a
            :class:`DilemmaViT`.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        ema = self.momentum_encoder
        self.momentum_encoder = ForeachCosineEMA(
            nn.Sequential(self.backbone, self.neck),
            momentum=ema.momentum,
            end_momentum=ema.end_momentum,
            interval=ema.interval,
            update_buffers=ema.update_buffers)

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        """Symmetric ``loss_mocov3``, and the :meth:`misplacement_loss`
        entries.

        Args:
            inputs (List[torch.Tensor]): The two views, (B, C_in, H, W) each.
            data_samples (List[DataSample]): Carry ``keep`` and ``pos``.
        """
        assert isinstance(inputs, list)
        views = inputs[:2]

        # sparse corrupted views: query features [N, C] per view, and the
        # (patch tokens [2N, K, C], layout [2N, K]) of their group
        feats, corrupted = self.forward_corrupted_views(views, data_samples)
        q1, q2 = (self.neck(feat)[0] for feat in feats)

        # clean dense views: key features [N, C] per view, no gradient
        with torch.no_grad():
            self.momentum_encoder.update_parameters(
                nn.Sequential(self.backbone, self.neck))
            momentum_backbone, momentum_neck = self.momentum_encoder.module
            k1, k2 = (
                momentum_neck(feat)[0]
                for feat in self.forward_dense_views(momentum_backbone, views))

        losses = dict(
            loss_mocov3=self.head.loss(q1, k2) + self.head.loss(q2, k1))
        losses.update(self.misplacement_loss(corrupted))
        return losses
