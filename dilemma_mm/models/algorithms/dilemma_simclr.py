from typing import Dict, List

import torch
import torch.nn.functional as F
from mmpretrain.models.selfsup import SimCLR
from mmpretrain.models.selfsup.simclr import GatherLayer
from mmpretrain.structures import DataSample

from dilemma_mm.registry import MODELS
from .misplacement_branch import MisplacementBranchMixin


@MODELS.register_module()
class DilemmaSimCLR(MisplacementBranchMixin, SimCLR):
    """SimCLR with DILEMMA.

    Implementation of `DILEMMA: Self-Supervised Shape and Texture Learning
    with Transformers <https://arxiv.org/abs/2204.04788>`_.

    SimCLR has no teacher: both views are sparse and corrupted, encoded as
    one group. With nothing dropped or misplaced, ``loss_simclr`` is
    :class:`SimCLR`'s on the same weights and inputs.

    Args:
        misplacement_head (dict, optional): Config of the
            :class:`MisplacementHead`; ``in_channels`` defaults to the
            backbone width. Defaults to None (a linear head).
        **kwargs: The arguments of :class:`SimCLR`, the backbone a
            :class:`DilemmaViT`.
    """

    def contrastive_loss(self, projections: torch.Tensor) -> torch.Tensor:
        """SimCLR's NT-Xent loss over the global batch; ``projections``
        (2N, D) holds the two views of sample ``i`` in rows 2i and 2i + 1."""
        z = F.normalize(projections, dim=1)
        z = torch.cat(GatherLayer.apply(z))  # (2N', D), every process
        similarity = z @ z.t()  # (2N', 2N')
        rows = torch.arange(len(z), device=z.device)
        positive = similarity.gather(1, (rows ^ 1).unsqueeze(1))  # (2N', 1)
        # the other columns, in order: all but the row's pair 2i, 2i + 1
        # (gathered, as a boolean mask would cost a device sync)
        others = torch.arange(len(z) - 2, device=z.device)  # (2N' - 2, )
        pair_start = (rows - rows % 2).unsqueeze(1)  # (2N', 1)
        negative_cols = others + 2 * (others >= pair_start)  # (2N', 2N'-2)
        negative = similarity.gather(1, negative_cols)
        return self.head.loss(positive, negative)

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        """``loss_simclr`` of the corrupted views, and the
        :meth:`misplacement_loss` entries.

        Args:
            inputs (List[torch.Tensor]): The two views, (N, C_in, H, W) each.
            data_samples (List[DataSample]): Carry ``keep`` and ``pos``.
        """
        assert isinstance(inputs, list)
        # both views as one group, view after view: class tokens [2N, C]
        # and (patch tokens [2N, K, C], layout [2N, K])
        feats, corrupted = self.forward_corrupted(
            torch.cat(inputs[:2]), data_samples, [0, 1])
        z = self.neck(feats)[0]  # [2N, D], view after view
        z = torch.stack(z.chunk(2), dim=1).flatten(0, 1)  # views adjacent

        losses = dict(loss_simclr=self.contrastive_loss(z))
        losses.update(self.misplacement_loss([corrupted]))
        return losses
