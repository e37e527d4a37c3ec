from .dino_multi_crop import DINOMultiCrop
from .token_drop import TokenDropTransform

__all__ = ['DINOMultiCrop', 'TokenDropTransform']
