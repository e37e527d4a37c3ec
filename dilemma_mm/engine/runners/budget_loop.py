"""An epoch-based train loop with a wall-clock budget in ``train_cfg``."""
from typing import Optional

from mmengine.runner import EpochBasedTrainLoop

from dilemma_mm.engine.hooks.time_budget_hook import TimeBudgetHook
from dilemma_mm.registry import LOOPS


@LOOPS.register_module()
class BudgetEpochBasedTrainLoop(EpochBasedTrainLoop):
    """:class:`EpochBasedTrainLoop` that stops when a time budget is spent,
    for "same training time" comparisons (``train_cfg=dict(type=
    'BudgetEpochBasedTrainLoop', max_epochs=300, time_budget_s=8 * 3600)``).

    :class:`TimeBudgetHook` counts the time and is added when the config
    has none. ``max_epochs`` still caps the run and sets the schedule. The
    epoch that spends the budget ends without ``after_train_epoch`` hooks;
    the hook has saved ``budget_iter_<n>.pth``.

    Args:
        time_budget_s (float, optional): Seconds of training allowed.
            ``None`` trains ``max_epochs`` as the parent does.
        **kwargs: Arguments of :class:`EpochBasedTrainLoop`.
    """

    def __init__(self,
                 runner,
                 dataloader,
                 max_epochs: int,
                 time_budget_s: Optional[float] = None,
                 **kwargs) -> None:
        super().__init__(runner, dataloader, max_epochs, **kwargs)
        if time_budget_s is not None and time_budget_s < 0:
            raise ValueError(
                f'time_budget_s must be >= 0, got {time_budget_s}')
        self.time_budget_s = time_budget_s
        if not any(isinstance(h, TimeBudgetHook) for h in runner.hooks):
            runner.register_hook(TimeBudgetHook())

    def run_epoch(self) -> None:
        """Iterate one epoch, or part of it when the budget runs out."""
        self.runner.call_hook('before_train_epoch')
        self.runner.model.train()
        for idx, data_batch in enumerate(self.dataloader):
            self.run_iter(idx, data_batch)
            if self.stop_training:
                return
        self.runner.call_hook('after_train_epoch')
        self._epoch += 1
