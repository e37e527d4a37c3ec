from .dino_head import DINOHead
from .hierarchical_cls_head import HierarchicalClsHead
from .misplacement_head import MisplacementHead

__all__ = ['MisplacementHead']

__all__ += ['HierarchicalClsHead']

__all__ += ['DINOHead']
