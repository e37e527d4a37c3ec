"""An epoch-based train loop with a wall-clock budget in ``train_cfg``."""
import copy
from typing import Optional, Tuple

import torch
from mmengine import dist
from mmengine.runner import EpochBasedTrainLoop

from dilemma_mm.engine.hooks.time_budget_hook import TimeBudgetHook
from dilemma_mm.engine.schedule import (EPOCH_HOOK_ARGS, fit_hook_args,
                                        fit_param_schedulers, schedule_length)
from dilemma_mm.registry import LOOPS

# Message-hub key of the epochs the schedule was fitted to; saved in every
# checkpoint, so a resumed run keeps the fitted length.
FITTED_EPOCHS_KEY = 'budget_fitted_epochs'
# ... and of the epoch after which it was fitted (a checkpoint from before
# refits has none, and is not refitted).
FITTED_AFTER_KEY = 'budget_fitted_after_epoch'
# ... and of [epoch, seconds spent] when the epochs that time the refits
# began: the second epoch (the first holds the start-up), or the first one
# a resumed run trains when its checkpoint has none.
TIMED_SINCE_KEY = 'budget_timed_since'


@LOOPS.register_module()
class BudgetEpochBasedTrainLoop(EpochBasedTrainLoop):
    """:class:`EpochBasedTrainLoop` that stops when a time budget is spent,
    for "same training time" comparisons (``train_cfg=dict(type=
    'BudgetEpochBasedTrainLoop', max_epochs=300, time_budget_s=8 * 3600)``).

    :class:`TimeBudgetHook` counts the time and is added when the config
    has none. ``max_epochs`` caps the run. The epoch that spends the budget
    ends without ``after_train_epoch`` hooks; the hook has saved
    ``budget_iter_<n>.pth``.

    With ``fit_schedule=True`` the first epoch is timed and the run is cut
    to the epochs the rest of the budget allows, with its schedule fitted
    to them (:mod:`dilemma_mm.engine.schedule`, as ``tools/train.py
    --epochs``): the parameter schedulers are rebuilt for the new length
    and replayed to the current iteration, so the learning rate is where a
    run planned for that length would have it (exactly, when the warm-up
    lasts at least the first epoch). The log says how many epochs fit.
    ``fit_rounding='floor'`` keeps whole epochs, so the run ends up to one
    epoch short of the budget with its schedule run out; ``'ceil'`` fits
    one epoch more and lets the budget cut it, so two runs given the same
    budget train for the same seconds (the learning rate is then stopped
    within the last epoch of its cosine). The first epoch's time includes
    the start-up (data workers, first allocations), so with ``refit=True``
    the loop fits again after every later epoch, from the mean time of the
    epochs since the second began (their saving and evaluation hooks
    included, as the budget counts them): a run whose later epochs are
    faster than its first no longer ends before the budget, and one whose
    epochs slow down shortens its plan while it runs, so that the budget
    ends its cosine, not the middle of it. Each change of length is
    logged. Every rank fits from rank 0's clock, so all agree on the
    length.

    Args:
        time_budget_s (float, optional): Seconds of training allowed.
            ``None`` trains ``max_epochs`` as the parent does.
        fit_schedule (bool): Fit the run and its schedule to the budget
            after the first epoch. Defaults to False.
        fit_rounding (str): ``'floor'`` (whole epochs) or ``'ceil'`` (the
            budget ends the last epoch). Defaults to ``'floor'``.
        refit (bool): With ``fit_schedule``, fit again after every later
            epoch from the mean epoch time since the second. Defaults to
            True.
        **kwargs: Arguments of :class:`EpochBasedTrainLoop`.
    """

    def __init__(self,
                 runner,
                 dataloader,
                 max_epochs: int,
                 time_budget_s: Optional[float] = None,
                 fit_schedule: bool = False,
                 fit_rounding: str = 'floor',
                 refit: bool = True,
                 **kwargs) -> None:
        super().__init__(runner, dataloader, max_epochs, **kwargs)
        if time_budget_s is not None and time_budget_s < 0:
            raise ValueError(
                f'time_budget_s must be >= 0, got {time_budget_s}')
        if fit_schedule and time_budget_s is None:
            raise ValueError('fit_schedule needs a time_budget_s to fit to')
        if fit_rounding not in ('floor', 'ceil'):
            raise ValueError(f"fit_rounding must be 'floor' or 'ceil', got "
                             f'{fit_rounding!r}')
        self.time_budget_s = time_budget_s
        self.fit_schedule = fit_schedule
        self.fit_rounding = fit_rounding
        self.refit = refit
        self._planned_epochs = self._max_epochs
        hooks = [h for h in runner.hooks if isinstance(h, TimeBudgetHook)]
        if not hooks:
            hooks = [TimeBudgetHook()]
            runner.register_hook(hooks[0])
        self._clock = hooks[0]
        # The hooks' epoch-valued arguments as configured: a refit that
        # lengthens the run gives back the warm-up a first fit cut.
        self._hook_args = [(hook, {
            arg: getattr(hook, arg)
            for arg in EPOCH_HOOK_ARGS.get(type(hook).__name__, ())
            if hasattr(hook, arg)
        }) for hook in runner.hooks]
        # The runner builds its schedulers after the loop: keep their
        # configs to rebuild them fitted.
        self._scheduler_cfgs = copy.deepcopy(runner.param_schedulers)

    def run(self):
        """Train; a resumed run keeps the length its schedule was fitted
        to."""
        fitted = self.runner.message_hub.get_info(FITTED_EPOCHS_KEY)
        if fitted is not None:
            self._set_max_epochs(fitted)
        return super().run()

    def run_epoch(self) -> None:
        """Iterate one epoch, or part of it when the budget runs out."""
        start = self._clock.spent_s()
        hub = self.runner.message_hub
        if (self.fit_schedule and self._epoch >= 1
                and hub.get_info(TIMED_SINCE_KEY) is None):
            hub.update_info(TIMED_SINCE_KEY, [self._epoch, start])
        self.runner.call_hook('before_train_epoch')
        self.runner.model.train()
        for idx, data_batch in enumerate(self.dataloader):
            self.run_iter(idx, data_batch)
            if self.stop_training:
                return
        # Fitted before the epoch's hooks, so that they see the new length
        # (the checkpoint hook saves the last epoch).
        epoch_s = self._timed_epoch_s(start) if self.fit_schedule else None
        if epoch_s is not None:
            self._fit(*self._rank0_clock(*epoch_s))
        self.runner.call_hook('after_train_epoch')
        self._epoch += 1

    def _timed_epoch_s(self, start: float) -> Optional[Tuple[float, float]]:
        """The seconds an epoch takes and the budget's seconds left, when
        the epoch ending now (which began at ``start``) is timed for a fit:
        the first, from its own time; with ``refit``, every later one, from
        the mean since the timing began. ``None`` when it is not."""
        hub = self.runner.message_hub
        now = self._clock.spent_s()
        left = self.time_budget_s - now
        if hub.get_info(FITTED_EPOCHS_KEY) is None:
            return now - start, left
        # A checkpoint from before refits has the length but no epoch.
        if not self.refit or hub.get_info(FITTED_AFTER_KEY) is None:
            return None
        since_epoch, since_s = hub.get_info(TIMED_SINCE_KEY)
        return (now - since_s) / (self._epoch + 1 - since_epoch), left

    @staticmethod
    def _rank0_clock(epoch_s: float, left: float) -> Tuple[float, float]:
        """The epoch's seconds and the budget's seconds left, as rank 0
        measured them: ranks start their clocks apart, and a fit that
        differed between them would hang the first collective after it."""
        if dist.get_world_size() > 1:
            figures = torch.tensor([epoch_s, left], dtype=torch.float64)
            dist.broadcast(figures, src=0)
            epoch_s, left = figures.tolist()
        return epoch_s, left

    def _set_max_epochs(self, epochs: int) -> None:
        self._max_epochs = epochs
        self._max_iters = epochs * len(self.dataloader)
        hub = self.runner.message_hub
        hub.update_info('max_epochs', epochs)
        hub.update_info('max_iters', self._max_iters)  # read by CosineEMA
        for hook, configured in self._hook_args:
            for arg, value in configured.items():
                setattr(hook, arg, value)
            fit_hook_args(hook, epochs)

    def _fit(self, epoch_s: float, left: float) -> None:
        """Cut (or lengthen, on a refit) the run to the epochs the ``left``
        seconds of the budget allow at ``epoch_s`` an epoch, and fit the
        schedule to them."""
        done = self._epoch + 1
        whole, part = divmod(max(left, 0), max(epoch_s, 1e-9))
        fit = done + int(whole)
        cut = self.fit_rounding == 'ceil' and part > 0
        # The cap is the planned length, not one a first fit set.
        epochs = max(done, min(self._planned_epochs, fit + cut))
        hub = self.runner.message_hub
        first = hub.get_info(FITTED_AFTER_KEY) is None
        hub.update_info(FITTED_EPOCHS_KEY, epochs)
        hub.update_info(FITTED_AFTER_KEY, done)
        if epochs == self._max_epochs and not first:
            return
        ends = (f'the budget ends epoch {epochs}'
                if cut and epochs == fit + 1 else 'whole epochs')
        timed = (f'epoch {done} took {epoch_s:.1f} s' if first else
                 f'after epoch {done} an epoch takes {epoch_s:.1f} s on '
                 'average (the start-up excluded)')
        self.runner.logger.info(
            f'Time budget: {timed}, {left:.1f} s are left: {epochs} of '
            f'{self._planned_epochs} epochs fit ({ends}); schedule fitted '
            f'to {epochs} epochs.')
        if epochs == self._max_epochs:
            return
        self._set_max_epochs(epochs)
        if self._scheduler_cfgs:
            self._rebuild_schedulers(epochs)

    def _rebuild_schedulers(self, epochs: int) -> None:
        """Build the schedulers fitted to ``epochs`` and step them to the
        current iteration, from the parameters' initial values."""
        runner = self.runner
        cfgs = self._scheduler_cfgs
        cfgs = [cfgs] if isinstance(cfgs, dict) else list(cfgs)
        if not (all(isinstance(c, dict) for c in cfgs)
                and isinstance(runner.param_schedulers, list)):
            raise TypeError('fit_schedule needs one optimizer and '
                            'param_scheduler configs (dicts)')
        fitted = fit_param_schedulers(
            cfgs, epochs, schedule_length(cfgs, self._planned_epochs))
        for scheduler in runner.param_schedulers:
            name = scheduler.param_name
            for group in scheduler.optimizer.param_groups:
                group[name] = group[f'initial_{name}']
        schedulers = runner.build_param_scheduler(
            [c for c in fitted if c is not None])
        # The iterations so far, then the epochs whose hooks have run.
        per_epoch = len(self.dataloader)
        epochs_stepped = 0
        for i in range(self._iter):
            for scheduler in schedulers:
                if not scheduler.by_epoch:
                    scheduler.step()
            if (i + 1) % per_epoch == 0 and epochs_stepped < self._epoch:
                epochs_stepped += 1
                for scheduler in schedulers:
                    if scheduler.by_epoch:
                        scheduler.step()
        runner.param_schedulers = schedulers
