from mmpretrain.models.selfsup.mocov3 import MoCoV3ViT

from dilemma_mm.registry import MODELS
from .dilemma_vit import DilemmaViT


@MODELS.register_module()
class DilemmaMoCoV3ViT(DilemmaViT, MoCoV3ViT):
    """MoCo v3's ViT (:class:`MoCoV3ViT`) with DILEMMA's sparse, misplaced
    input: ``forward(x, keep, pos)`` as :class:`DilemmaViT`.

    It keeps everything MoCo v3 adds to the ViT: fixed 2D sin-cos position
    embeddings, its initialisation (uniform patch projection, xavier linear
    layers with Q, K, V treated apart), the ``mocov3-small`` arch (384 wide,
    12 layers, 12 heads) and ``stop_grad_conv1`` (a frozen random patch
    projection), so a DILEMMA run differs from mmpretrain's MoCo v3 baseline
    only by DILEMMA. Dense, it computes exactly what :class:`MoCoV3ViT`
    computes with the same weights and loads its checkpoints.

    Args:
        stop_grad_conv1 (bool): Freeze the patch projection. Defaults to
            False.
        frozen_stages (int): Stages to freeze, -1 for none. Defaults to -1.
        norm_eval (bool): Keep norm layers in eval mode. Defaults to False.
        **kwargs: The arguments of :class:`VisionTransformer`.
    """

    def __init__(self, **kwargs) -> None:
        if kwargs.pop('pos_embed_type', 'sincos') != 'sincos':
            raise ValueError('DilemmaMoCoV3ViT uses MoCo v3\'s fixed sin-cos '
                             'position embeddings; use DilemmaViT for '
                             'learned ones.')
        super().__init__(pos_embed_type='sincos', **kwargs)
