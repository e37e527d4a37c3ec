from typing import Dict, List

import torch
import torch.nn as nn
from mmpretrain.models.selfsup import MoCoV3
from mmpretrain.structures import DataSample

from dilemma_mm.registry import MODELS
from .misplacement_branch import MisplacementBranchMixin


@MODELS.register_module()
class DilemmaMoCoV3(MisplacementBranchMixin, MoCoV3):
    """MoCo v3 with DILEMMA.

    The online encoder (backbone + neck) sees the sparse, corrupted views and
    also feeds their patch tokens to the misplacement head; the momentum
    encoder sees the clean, dense views. Without ``keep``/``pos`` in the data
    samples, or with nothing dropped or misplaced, ``loss_mocov3`` is the
    loss of :class:`MoCoV3` on the same weights and inputs.

    Args:
        misplacement_head (dict, optional): Config of the
            :class:`MisplacementHead`; ``in_channels`` defaults to the
            backbone width. Defaults to None (a linear head).
        **kwargs: The arguments of :class:`MoCoV3`, the backbone a
            :class:`DilemmaViT`.
    """

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        """Symmetric MoCo v3 loss plus the misplacement loss.

        Args:
            inputs (List[torch.Tensor]): The two views, (B, C_in, H, W) each.
            data_samples (List[DataSample]): Carry ``keep`` and ``pos``.

        Returns:
            Dict[str, torch.Tensor]: ``loss_mocov3``, ``loss_dilemma`` and
            ``acc_dilemma``.
        """
        assert isinstance(inputs, list)
        view_1, view_2 = inputs[0], inputs[1]

        # sparse corrupted views: query features [N, C] each, and the
        # (patch tokens [N, K, C], keep [N, K], pos [N, K]) of each view
        feat_1, corrupted_1 = self.forward_corrupted(view_1, data_samples, 0)
        feat_2, corrupted_2 = self.forward_corrupted(view_2, data_samples, 1)
        q1 = self.neck(feat_1)[0]
        q2 = self.neck(feat_2)[0]

        # clean dense views: key features [N, C] each, no gradient
        with torch.no_grad():
            self.momentum_encoder.update_parameters(
                nn.Sequential(self.backbone, self.neck))
            k1 = self.momentum_encoder(view_1)[0]
            k2 = self.momentum_encoder(view_2)[0]

        losses = dict(
            loss_mocov3=self.head.loss(q1, k2) + self.head.loss(q2, k1))
        losses.update(self.misplacement_loss([corrupted_1, corrupted_2]))
        return losses
