from .hierarchical_accuracy import HierarchicalAccuracy

__all__ = ['HierarchicalAccuracy']
