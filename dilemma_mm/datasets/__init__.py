from .generators import SHAPE_CLASSES, make_shapes_dataset, render_shape
from .load_image_safe import LoadImageFromFileSafe
from .transforms import *  # noqa: F401,F403
from .yoga82 import YOGA82

__all__ = [
    'LoadImageFromFileSafe', 'SHAPE_CLASSES', 'make_shapes_dataset',
    'render_shape', 'YOGA82'
]
