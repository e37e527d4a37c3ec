# Detection metrics live with the models that log them; re-exported here.
from ..models.utils import average_precision, binary_auc
from .hierarchical_accuracy import HierarchicalAccuracy
from .knn import (extract_features, gather_features, knn_classify,
                  knn_evaluate, topk_accuracy)
from .linear_probe import linear_probe_evaluate
from .occlusion import evaluate_occlusion, occlude_patches, shuffle_patches

__all__ = [
    'average_precision', 'binary_auc', 'HierarchicalAccuracy',
    'extract_features', 'gather_features', 'knn_classify', 'knn_evaluate',
    'topk_accuracy', 'linear_probe_evaluate', 'evaluate_occlusion',
    'occlude_patches', 'shuffle_patches'
]
