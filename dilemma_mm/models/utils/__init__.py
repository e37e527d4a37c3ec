from .foreach_cosine_ema import ForeachCosineEMA

__all__ = ['ForeachCosineEMA']
