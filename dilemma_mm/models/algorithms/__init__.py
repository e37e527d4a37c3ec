from .dilemma import DILEMMA
from .dilemma_mocov3 import DilemmaMoCoV3
from .misplacement_branch import MisplacementBranchMixin

__all__ = ['DILEMMA', 'DilemmaMoCoV3', 'MisplacementBranchMixin']
