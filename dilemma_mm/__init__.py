"""DILEMMA for MMPretrain.

Importing the package applies the compatibility fixes of
:mod:`dilemma_mm.utils.compat` and registers every component in the
``dilemma_mm`` registries.
"""
from mmpretrain.utils import register_all_modules as _register_mmpretrain

from .utils.compat import apply_compat_patches

apply_compat_patches()
# Our registries fall back to mmpretrain's, which fill on import.
_register_mmpretrain(init_default_scope=False)

# apis: our model index, also registered with mmpretrain's ModelHub
from . import apis, datasets, engine, evaluation, models  # noqa: E402,F401
from .utils import register_all_modules, setup_env  # noqa: E402
from .version import __version__  # noqa: E402

__all__ = ['__version__', 'register_all_modules', 'setup_env']
