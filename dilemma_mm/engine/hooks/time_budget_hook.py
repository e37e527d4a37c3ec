"""Stop training at a wall-clock budget, leaving a resumable checkpoint."""
import os.path as osp
import time
from typing import Optional

import torch
from mmengine import dist
from mmengine.hooks import Hook

from dilemma_mm.registry import HOOKS

# Message-hub key of the seconds spent training; saved with the message hub
# in every checkpoint, so a resumed run goes on counting from it.
TIME_SPENT_KEY = 'time_spent_s'


@HOOKS.register_module()
class TimeBudgetHook(Hook):
    """Stop training once ``budget_s`` seconds of training are spent.

    The clock runs from ``before_train`` to the end of each iteration, all
    included (data, steps, logging, evaluation hooks, saving); a resumed
    run adds the ``time_spent_s`` its checkpoint carries. At the first
    iteration over budget the hook saves ``budget_iter_<n>.pth``, points
    ``last_checkpoint`` at it (``--resume`` continues from it) and stops
    the loop: at once in an iteration-based loop, mid-epoch only in
    :class:`~dilemma_mm.engine.runners.BudgetEpochBasedTrainLoop`, which
    also adds this hook for ``train_cfg=dict(time_budget_s=...)``. Rank 0's
    clock decides for every rank.

    Args:
        budget_s (float, optional): The budget in seconds. Defaults to the
            train loop's ``time_budget_s``; with neither, the hook only
            records the time spent.
    """

    priority = 'LOWEST'  # after the logger and checkpoint hooks

    def __init__(self, budget_s: Optional[float] = None) -> None:
        if budget_s is not None and budget_s < 0:
            raise ValueError(f'budget_s must be >= 0, got {budget_s}')
        self.budget_s = budget_s
        self._start = 0.
        self._spent_before = 0.
        self._stopped = False

    def _budget(self, runner) -> Optional[float]:
        if self.budget_s is not None:
            return self.budget_s
        return getattr(runner.train_loop, 'time_budget_s', None)

    def before_train(self, runner) -> None:
        self._spent_before = float(
            runner.message_hub.get_info(TIME_SPENT_KEY, 0.))
        self._start = time.perf_counter()
        self._stopped = False
        budget = self._budget(runner)
        if budget is not None:
            runner.logger.info(
                f'Time budget: {budget:.1f} s of training, '
                f'{self._spent_before:.1f} s spent before this run.')

    def spent_s(self) -> float:
        """Seconds of training so far, this run and resumed ones."""
        return self._spent_before + time.perf_counter() - self._start

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        spent = self.spent_s()
        if dist.get_world_size() > 1:
            spent_t = torch.tensor([spent], dtype=torch.float64)
            dist.broadcast(spent_t, src=0)
            spent = float(spent_t)
        runner.message_hub.update_info(TIME_SPENT_KEY, spent)
        budget = self._budget(runner)
        if budget is None or spent < budget or self._stopped:
            return
        self._stopped = True
        # Mid-epoch: the epoch is redone on resume (mmengine's epoch loops
        # restart an epoch from its first batch), iterations go on counting.
        filename = f'budget_iter_{runner.iter + 1}.pth'
        runner.save_checkpoint(
            runner.work_dir,
            filename,
            meta=dict(
                epoch=runner.epoch,
                iter=runner.iter + 1,
                time_budget_stop=True),
            by_epoch=False)
        path = osp.join(runner.work_dir, filename)
        if dist.is_main_process():
            with open(osp.join(runner.work_dir, 'last_checkpoint'), 'w') as f:
                f.write(path)
        runner.train_loop.stop_training = True
        runner.logger.info(
            f'Time budget spent: {spent:.1f} s >= {budget:.1f} s after '
            f'iteration {runner.iter + 1}; stopping. Saved {path}; resume '
            'with --resume and a larger budget to go on.')
