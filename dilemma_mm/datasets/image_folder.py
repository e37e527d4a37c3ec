"""The image files of an ImageNet-style folder (``<split>/<class>/<file>``)."""
import inspect

from mmpretrain.datasets import CustomDataset

# The suffixes CustomDataset reads (its ``extensions`` default), so that
# the folder checks of our tools agree with what training loads.
IMAGE_SUFFIXES = tuple(
    inspect.signature(CustomDataset).parameters['extensions'].default)
