from .dino_multi_crop import DINOMultiCrop
from .token_drop import GridIndices, TokenDropTransform

__all__ = ['DINOMultiCrop', 'GridIndices', 'TokenDropTransform']
