from .budget_loop import BudgetEpochBasedTrainLoop

__all__ = ['BudgetEpochBasedTrainLoop']
