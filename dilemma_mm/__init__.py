"""DILEMMA for MMPretrain.

Importing the package is the one set-up step, for our tools and for a
downstream project (``custom_imports=dict(imports=['dilemma_mm'])``): it
applies the fixes of :mod:`dilemma_mm.compat` and registers every
component in the ``dilemma_mm`` registries. Make ``dilemma_mm`` the default
scope, where a config does not, with mmengine's
``init_default_scope('dilemma_mm')``.
"""
from mmpretrain.utils import register_all_modules as _register_mmpretrain

from .compat import apply_compat_patches

apply_compat_patches()
# Our registries fall back to mmpretrain's, which fill on import.
_register_mmpretrain(init_default_scope=False)

from . import apis, datasets, engine, evaluation, models  # noqa: E402,F401
from .version import __version__  # noqa: E402

__all__ = ['__version__']
