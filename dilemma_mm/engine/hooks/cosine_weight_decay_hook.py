"""Cosine schedule of the weight decay (DINO's 0.04 -> 0.4)."""
import math
from typing import Optional

from mmengine.hooks import Hook
from mmengine.optim import OptimWrapperDict

from dilemma_mm.registry import HOOKS

# param-group key holding the group's weight decay before the schedule
INITIAL_KEY = 'initial_weight_decay'


@HOOKS.register_module()
class CosineWeightDecayHook(Hook):
    """Anneal the weight decay from the optimizer's value to
    ``end_weight_decay`` with a half cosine over the training iterations.

    Before iteration ``t`` of ``T`` a parameter group whose configured
    weight decay is ``wd_0`` gets ``wd_end + (wd_0 - wd_end) * (1 + cos(pi
    * t / T)) / 2``, where ``wd_end`` is ``end_weight_decay`` scaled as the
    group's decay was scaled from the optimizer's (``paramwise_cfg``'s
    ``decay_mult``): groups without decay (norms, biases) keep none. This is
    DINO's per-iteration ``wd_schedule``. It works in one process and under
    DDP (every rank computes the same value from ``runner.iter``) and after
    ``--resume``: the starting values are kept in the param groups, which
    the optimizer's state dict saves.

    Args:
        end_weight_decay (float): Weight decay at the end of training for a
            group with the optimizer's default decay. Defaults to 0.4.
    """

    priority = 'HIGH'  # before the iteration's forward pass

    def __init__(self, end_weight_decay: float = 0.4) -> None:
        if end_weight_decay < 0:
            raise ValueError(f'end_weight_decay must be >= 0, got '
                             f'{end_weight_decay}.')
        self.end_weight_decay = end_weight_decay

    @staticmethod
    def _optimizers(runner) -> list:
        wrapper = runner.optim_wrapper
        wrappers = (
            wrapper.values()
            if isinstance(wrapper, OptimWrapperDict) else [wrapper])
        return [w.optimizer for w in wrappers]

    def before_train(self, runner) -> None:
        for optimizer in self._optimizers(runner):
            for group in optimizer.param_groups:
                group.setdefault(INITIAL_KEY, group['weight_decay'])

    def weight_decay(self, initial: float, default: Optional[float],
                     progress: float) -> float:
        """Weight decay of a group that started at ``initial`` (the
        optimizer's default being ``default``) at ``progress`` in [0, 1]."""
        scale = initial / default if default else float(initial > 0)
        end = self.end_weight_decay * scale
        return end + (initial - end) * (1 + math.cos(math.pi * progress)) / 2

    def before_train_iter(self, runner, batch_idx: int, data_batch=None):
        progress = min(runner.iter / max(runner.max_iters, 1), 1.)
        for optimizer in self._optimizers(runner):
            default = optimizer.defaults.get('weight_decay')
            for group in optimizer.param_groups:
                group['weight_decay'] = self.weight_decay(
                    group.setdefault(INITIAL_KEY, group['weight_decay']),
                    default, progress)
