import math
from typing import Sequence

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from dilemma_mm.registry import MODELS


@MODELS.register_module()
class ConvStem(BaseModule):
    """Convolutional patch projection of a ViT (Xiao et al., *Early
    Convolutions Help Transformers See Better*, NeurIPS 2021).

    A stack of 3x3 stride-2 conv-BN-ReLU layers, one per halving of the
    resolution, then a 1x1 conv to the embedding width: a drop-in for the
    ViT's ``patch_size`` x ``patch_size`` stride-``patch_size`` projection,
    with the same output grid. Small ViTs trained from scratch on little
    data learn much faster with it (measured in
    ``configs/dilemma/README.md``). Each token's receptive field reaches a
    few pixels into its neighbours (15 px for an 8 px patch); token
    dropping and misplacement act on its output tokens as on the linear
    projection's.

    Args:
        in_channels (int): Input channels.
        embed_dims (int): Output channels (the ViT width).
        patch_size (int): Output stride, a power of two >= 2.
        channels (Sequence[int]): Widths of the stride-2 layers, one per
            factor 2 of ``patch_size`` (three for patch size 8).
        init_cfg (dict, optional): Initialization config dict.
    """

    def __init__(self,
                 in_channels: int,
                 embed_dims: int,
                 patch_size: int,
                 channels: Sequence[int],
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        halvings = math.log2(patch_size)
        if patch_size < 2 or halvings != int(halvings) or len(channels) != int(
                halvings):
            raise ValueError(
                f'ConvStem needs a power-of-two patch_size >= 2 and one '
                f'channel width per halving: patch_size {patch_size} takes '
                f'{halvings:g} widths, got channels={list(channels)}')
        layers, width_in = [], in_channels
        for width in channels:
            layers += [
                nn.Conv2d(width_in, width, 3, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(width),
                nn.ReLU(inplace=True)
            ]
            width_in = width
        layers.append(nn.Conv2d(width_in, embed_dims, 1))
        self.layers = nn.Sequential(*layers)
        # What PatchEmbed's callers read from a projection conv.
        self.kernel_size = self.stride = (patch_size, patch_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Images (B, C_in, H, W) -> token grid (B, C, H / p, W / p)."""
        return self.layers(x)
