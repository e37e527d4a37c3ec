from typing import Dict, List, Union

import torch
from mmpretrain.models.selfsup import BaseSelfSupervisor
from mmpretrain.structures import DataSample

from dilemma_mm.registry import MODELS
from .misplacement_branch import MisplacementBranchMixin


@MODELS.register_module()
class DILEMMA(MisplacementBranchMixin, BaseSelfSupervisor):
    """The misplacement loss alone, with no SSL partner (for ablations).

    Implementation of `DILEMMA: Self-Supervised Shape and Texture Learning
    with Transformers <https://arxiv.org/abs/2204.04788>`_.

    Every view is encoded sparsely at its (misplaced) positions, same-size
    views as one group, and the misplacement loss is averaged over the
    views.

    Args:
        backbone (dict): Config of a :class:`DilemmaViT`.
        misplacement_head (dict, optional): Config of the
            :class:`MisplacementHead`; ``in_channels`` defaults to the
            backbone width. Defaults to None (a linear head).
        **kwargs: The other arguments of :class:`BaseSelfSupervisor`
            (``pretrained``, ``data_preprocessor``, ``init_cfg``).
    """

    def loss(self, inputs: Union[torch.Tensor, List[torch.Tensor]],
             data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        """Misplacement loss of every view.

        Args:
            inputs (torch.Tensor | List[torch.Tensor]): One view or a list of
                views, (B, C_in, H, W) each.
            data_samples (List[DataSample]): Carry ``keep`` and ``pos``.

        Returns:
            Dict[str, torch.Tensor]: ``loss_dilemma`` and ``acc_dilemma``.
        """
        views = inputs if isinstance(inputs, list) else [inputs]
        _, corrupted = self.forward_corrupted_views(views, data_samples)
        return self.misplacement_loss(corrupted)
