from .dilemma import DILEMMA
from .dilemma_dino import DilemmaDINO
from .dilemma_mae import DilemmaMAE
from .dilemma_mocov3 import DilemmaMoCoV3
from .dilemma_simclr import DilemmaSimCLR
from .dino import DINO
from .misplacement_branch import MisplacementBranchMixin
from .token_layout import TokenLayout, collate_token_layouts

__all__ = [
    'DILEMMA', 'DilemmaMoCoV3', 'MisplacementBranchMixin', 'DINO',
    'DilemmaDINO', 'DilemmaSimCLR', 'DilemmaMAE', 'TokenLayout',
    'collate_token_layouts'
]
