from .dilemma_mocov3_vit import DilemmaMoCoV3ViT
from .dilemma_vit import DilemmaViT

__all__ = ['DilemmaMoCoV3ViT', 'DilemmaViT']
