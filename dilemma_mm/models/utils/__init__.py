from .foreach_cosine_ema import ForeachCosineEMA
from .state_dict_mapping import (dilemma_mm_to_timm, mmpretrain_vit_to_timm,
                                 mocov3_mlp_to_neck, official_to_dilemma_mm,
                                 strip_ddp_prefix, timm_to_dilemma_mm,
                                 timm_vit_to_mmpretrain)

__all__ = [
    'ForeachCosineEMA', 'dilemma_mm_to_timm', 'mmpretrain_vit_to_timm',
    'mocov3_mlp_to_neck', 'official_to_dilemma_mm', 'strip_ddp_prefix',
    'timm_to_dilemma_mm', 'timm_vit_to_mmpretrain'
]
