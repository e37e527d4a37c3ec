from .hierarchical_accuracy import HierarchicalAccuracy
from .knn import (PartialCheckpointError, extract_features, gather_features,
                  knn_classify, knn_evaluate, load_backbone_checkpoint,
                  topk_accuracy)
from .occlusion import evaluate_occlusion, occlude_patches, shuffle_patches

__all__ = [
    'HierarchicalAccuracy', 'PartialCheckpointError', 'extract_features',
    'gather_features', 'knn_classify', 'knn_evaluate',
    'load_backbone_checkpoint', 'topk_accuracy', 'evaluate_occlusion',
    'occlude_patches', 'shuffle_patches'
]
