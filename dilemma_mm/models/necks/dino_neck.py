import math
from typing import List, Optional, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmengine.model.weight_init import trunc_normal_

from dilemma_mm.registry import MODELS


@MODELS.register_module()
class DINONeck(BaseModule):
    """DINO's projection head: MLP, L2 norm, weight-normalised last layer.

    ``Linear -> GELU`` layers up to a bottleneck, L2 normalisation, then a
    bias-free linear layer to ``out_channels`` prototypes whose weight is
    ``g * v / ||v||`` row by row (weight normalisation). With
    ``norm_last_layer`` the gain ``g`` is fixed to 1, so the prototypes stay
    unit vectors, as in DINO's default.

    ``forward(inputs, freeze_last_layer=True)`` lets no gradient reach the
    last layer (DINO freezes it during the first epoch); the output is the
    same.

    Args:
        in_channels (int): Width of the backbone features.
        out_channels (int): Number of prototypes. Defaults to 65536.
        hidden_channels (int): Width of the hidden layers. Defaults to 2048.
        bottleneck_channels (int): Width before the last layer.
            Defaults to 256.
        num_layers (int): Linear layers of the MLP, at least 1.
            Defaults to 3.
        norm_last_layer (bool): Fix the gain of the last layer to 1.
            Defaults to True.
        use_bn (bool): BatchNorm after each hidden linear layer (DINO's
            ``use_bn_in_head``). Small images give a randomly initialised
            ViT nearly the same class token for every image; BatchNorm
            keeps the differences, so the centred teacher is not uniform
            from the first step. Defaults to False.
        init_cfg (dict | list[dict], optional): Initialization config.
            Defaults to None (DINO's: truncated normal, std 0.02).
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int = 65536,
                 hidden_channels: int = 2048,
                 bottleneck_channels: int = 256,
                 num_layers: int = 3,
                 norm_last_layer: bool = True,
                 use_bn: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_layers < 1:
            raise ValueError(f'num_layers must be >= 1, got {num_layers}.')
        widths = [in_channels] + [hidden_channels] * (num_layers - 1)
        layers = []
        for in_width, out_width in zip(widths, widths[1:]):
            layers.append(nn.Linear(in_width, out_width))
            if use_bn:
                layers.append(nn.BatchNorm1d(out_width))
            layers.append(nn.GELU())
        layers.append(nn.Linear(widths[-1], bottleneck_channels))
        self.mlp = nn.Sequential(*layers)
        # weight normalisation of the last layer: weight = g * v / ||v||
        self.last_layer_v = nn.Parameter(
            torch.empty(out_channels, bottleneck_channels))
        self.last_layer_g = nn.Parameter(
            torch.ones(out_channels, 1), requires_grad=not norm_last_layer)
        self.norm_last_layer = norm_last_layer
        self._reset_last_layer()

    def _reset_last_layer(self) -> None:
        """Initialise ``v`` as ``nn.Linear`` does and set ``g = 1``."""
        nn.init.kaiming_uniform_(self.last_layer_v, a=math.sqrt(5))
        with torch.no_grad():
            self.last_layer_g.fill_(1.)

    def init_weights(self) -> None:
        """DINO's initialisation, unless ``init_cfg`` is given."""
        if self.init_cfg is not None:
            return super().init_weights()
        for module in self.mlp.modules():
            if isinstance(module, nn.Linear):
                trunc_normal_(module.weight, std=.02)
                nn.init.zeros_(module.bias)
        self._reset_last_layer()

    def forward(self,
                inputs: Tuple[torch.Tensor, ...],
                freeze_last_layer: bool = False) -> Tuple[torch.Tensor]:
        """Project backbone features to prototype scores.

        Args:
            inputs (tuple[torch.Tensor]): Backbone outputs; the last one,
                (N, in_channels), is projected.
            freeze_last_layer (bool): Stop the gradient at the last layer's
                parameters. Defaults to False.

        Returns:
            tuple[torch.Tensor]: The scores, (N, out_channels).
        """
        x = self.mlp(inputs[-1])  # (N, bottleneck)
        x = F.normalize(x, dim=-1)
        direction, gain = self.last_layer_v, self.last_layer_g
        if freeze_last_layer:
            direction, gain = direction.detach(), gain.detach()
        weight = gain * F.normalize(direction, dim=1)  # (out, bottleneck)
        return (F.linear(x, weight), )  # (N, out_channels)
