from .misplacement_head import MisplacementHead

__all__ = ['MisplacementHead']
