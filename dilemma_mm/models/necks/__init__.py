from .dino_neck import DINONeck

__all__ = ['DINONeck']
