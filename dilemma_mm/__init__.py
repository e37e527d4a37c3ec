"""DILEMMA for MMPretrain: importing the package registers its components."""
from . import datasets, engine, evaluation, models  # noqa: F401
from .utils import setup_env  # noqa: F401
from .version import __version__

__all__ = ['__version__', 'setup_env']
