from .detection_metrics import average_precision, binary_auc
from .foreach_cosine_ema import ForeachCosineEMA

__all__ = ['average_precision', 'binary_auc', 'ForeachCosineEMA']
