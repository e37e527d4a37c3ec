from .conv_stem import ConvStem
from .dilemma_mae_vit import DilemmaMAEViT
from .dilemma_mocov3_vit import DilemmaMoCoV3ViT
from .dilemma_vit import DilemmaViT

__all__ = ['ConvStem', 'DilemmaMAEViT', 'DilemmaMoCoV3ViT', 'DilemmaViT']
