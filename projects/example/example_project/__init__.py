"""A downstream project's package: importing it registers its components
in its own scope, ``example_project``."""
from .temperature_misplacement_head import TemperatureMisplacementHead

__all__ = ['TemperatureMisplacementHead']
