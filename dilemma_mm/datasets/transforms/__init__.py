from .token_drop import GridIndices, TokenDropTransform

__all__ = ['GridIndices', 'TokenDropTransform']
