"""Generators of the built-in data sets: NumPy and Pillow only, so that
``tools/dataset_converters/make_shapes.py`` loads this package without
torch or mmpretrain."""
from .shapes import (SHAPE_CLASSES, STYLES, make_shapes_dataset, render_shape,
                     sample_rng, shape_mask)
from .textures import FAMILIES, draw_texture

__all__ = [
    'SHAPE_CLASSES', 'STYLES', 'make_shapes_dataset', 'render_shape',
    'sample_rng', 'shape_mask', 'FAMILIES', 'draw_texture'
]
