from .dino_neck import DINONeck
from .patch_mean_batch_norm_neck import PatchMeanBatchNormNeck

__all__ = ['DINONeck', 'PatchMeanBatchNormNeck']
