from typing import Sequence, Tuple

import torch
from mmpretrain.models.necks import ClsBatchNormNeck

from dilemma_mm.registry import MODELS


@MODELS.register_module()
class PatchMeanBatchNormNeck(ClsBatchNormNeck):
    """MAE's linear-probe BatchNorm (:class:`ClsBatchNormNeck`) on the mean
    of the patch tokens instead of the class token.

    It takes a ViT's ``out_type='featmap'`` output, the final-normed patch
    tokens as (B, C, h, w) maps, averages each over its grid and normalises
    the (B, C) means across the batch. Nothing new is trained before the
    linear head: the BatchNorm is the parent's (``bn.*``, no affine
    parameters by default) and the backbone gains no parameter, so its
    ``Pretrained`` checkpoint loads whole (mmpretrain's
    ``out_type='avg_featmap'`` adds a LayerNorm, ``ln2``, that pretraining
    checkpoints do not hold).

    Args:
        input_features (int): Channels C of the maps.
        affine (bool): Learnable affine parameters. Defaults to False.
        eps (float): BatchNorm epsilon. Defaults to 1e-6.
        init_cfg (dict | list[dict], optional): Initialization config.
            Defaults to None.
    """

    def forward(self, inputs: Sequence[torch.Tensor]) -> Tuple[torch.Tensor]:
        """Maps (B, C, h, w), one per stage -> normalised means (B, C)."""
        for feat in inputs:
            if feat.dim() != 4:
                raise ValueError(
                    'PatchMeanBatchNormNeck takes (B, C, h, w) patch token '
                    f'maps, got {tuple(feat.shape)}: build the backbone with '
                    "out_type='featmap'")
        return super().forward([feat.mean(dim=(2, 3)) for feat in inputs])
