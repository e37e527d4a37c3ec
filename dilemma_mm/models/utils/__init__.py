from .detection_metrics import average_precision, binary_auc
from .foreach_cosine_ema import ForeachCosineEMA
from .koleo import koleo_loss

__all__ = ['average_precision', 'binary_auc', 'ForeachCosineEMA', 'koleo_loss']
