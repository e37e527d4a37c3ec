from .dilemma_vit import DilemmaViT

__all__ = ['DilemmaViT']
