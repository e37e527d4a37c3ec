from .token_drop import TokenDropTransform

__all__ = ['TokenDropTransform']
