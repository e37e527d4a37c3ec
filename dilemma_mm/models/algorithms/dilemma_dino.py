from typing import Dict, List, Tuple

import torch
from mmpretrain.structures import DataSample

from dilemma_mm.registry import MODELS
from .dino import DINO
from .misplacement_branch import MisplacementBranchMixin


@MODELS.register_module()
class DilemmaDINO(MisplacementBranchMixin, DINO):
    """DINO with DILEMMA.

    Implementation of `DILEMMA: Self-Supervised Shape and Texture Learning
    with Transformers <https://arxiv.org/abs/2204.04788>`_.

    The student encodes every view, global and local, sparsely and corrupted,
    each on its own patch grid (``TokenDropTransform`` after the multi-crop
    ``MultiView``), and feeds its patch tokens to the misplacement head; the
    teacher encodes the clean, dense global views. With nothing dropped or
    misplaced, ``loss_dino`` is :class:`DINO`'s on the same weights and
    inputs.

    Args:
        misplacement_head (dict, optional): Config of the
            :class:`MisplacementHead`; ``in_channels`` defaults to the
            backbone width. Defaults to None (a linear head).
        **kwargs: The arguments of :class:`DINO`, the backbone a
            :class:`DilemmaViT`.
    """

    def student_features(
        self, inputs: List[torch.Tensor], data_samples: List[DataSample]
    ) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
        """Class tokens of the sparse corrupted views, (n_views * B, C), and
        the :meth:`misplacement_loss` entries."""
        # class tokens [N, C] per view, and (patch tokens [n * N, K, C],
        # layout [n * N, K]) per group of n same-size views
        outs, corrupted = self.forward_corrupted_views(inputs, data_samples)
        features = torch.cat([view_outs[-1] for view_outs in outs])
        return features, self.misplacement_loss(corrupted)
