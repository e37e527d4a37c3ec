from typing import Optional, Tuple

import torch
from mmpretrain.models.selfsup.mae import MAEViT

from dilemma_mm.registry import MODELS
from .conv_stem import ConvStem
from .dilemma_vit import DilemmaViT


@MODELS.register_module()
class DilemmaMAEViT(DilemmaViT, MAEViT):
    """MAE's ViT (:class:`MAEViT`) whose visible tokens are given, not drawn.

    ``forward(x, keep, pos)`` encodes the patches ``keep`` at the positions
    ``pos``, as :class:`DilemmaViT`; with MAE's ``out_type='raw'`` it
    returns the final-normed ``(B, 1 + K, C)`` sequence MAE's decoder takes.
    Everything else is MAE's: fixed 2D sin-cos position embeddings, its
    initialisation (xavier patch projection), LayerNorm eps 1e-6 and the
    parameter names, so it loads :class:`MAEViT` checkpoints.

    MAE's own random masking is not used: the data pipeline draws the
    visible tokens (``TokenDropTransform``, whose ``drop_ratio`` is the mask
    ratio) and :class:`DilemmaMAE` checks that ``mask_ratio`` agrees.

    Args:
        mask_ratio (float): The mask ratio the pipeline must use.
            Defaults to 0.75.
        **kwargs: The arguments of :class:`MAEViT`.
    """

    def __init__(self, mask_ratio: float = 0.75, **kwargs) -> None:
        if kwargs.pop('pos_embed_type', 'sincos') != 'sincos':
            raise ValueError('DilemmaMAEViT uses MAE\'s fixed sin-cos '
                             'position embeddings.')
        super().__init__(
            pos_embed_type='sincos', mask_ratio=mask_ratio, **kwargs)

    def init_weights(self) -> None:
        """MAE's initialisation. With a :class:`ConvStem`, MAE's xavier init
        of a linear projection goes to the stem's last (1x1) conv; the
        stride-2 convs keep their own."""
        stem = self.patch_embed.projection
        if not isinstance(stem, ConvStem):
            return super().init_weights()
        self.patch_embed.projection = stem.layers[-1]
        try:
            super().init_weights()
        finally:
            self.patch_embed.projection = stem

    def forward(self,
                x: torch.Tensor,
                keep: Optional[torch.Tensor] = None,
                pos: Optional[torch.Tensor] = None,
                mask: Optional[bool] = None) -> Tuple[torch.Tensor]:
        """:meth:`DilemmaViT.forward`: encode the patches ``keep`` (B, K)
        at the positions ``pos`` (B, K), all patches by default.

        ``mask`` is :class:`MAEViT`'s flag; only ``None`` or ``False`` (no
        random masking, as MAE's ``extract_feat`` asks) is accepted: the
        visible tokens come as ``keep``.
        """
        if mask:
            raise ValueError('DilemmaMAEViT draws no mask: give the visible '
                             'tokens as `keep` (from TokenDropTransform).')
        return super().forward(x, keep, pos)
