from math import cos, pi

import torch
import torch.nn as nn
from mmengine.logging import MessageHub
from mmpretrain.models.utils import CosineEMA

from dilemma_mm.registry import MODELS


@MODELS.register_module()
class ForeachCosineEMA(CosineEMA):
    """:class:`CosineEMA` updated with a few fused ``_foreach`` kernels and
    no device sync.

    mmengine's update loops over the parameters, one ``mul_``/``add_`` pair
    each, and reads its ``steps`` buffer back from the device in Python
    (``if self.steps == 0``, and ``cos(pi * steps / max_iters)`` once per
    parameter): on a GPU every read waits for the queued work. Here the
    step count lives on the host as well; the ``steps`` buffer is still
    advanced on the device, so checkpoints keep their format and a loaded
    one sets the host count. The average is the same, ``X' <- (1 - m) X' +
    m X`` with the cosine-annealed ``m`` of :class:`CosineEMA`, computed in
    double precision on the host.

    Args:
        model (nn.Module): The model to be averaged.
        momentum (float): The start momentum value. Defaults to 0.004.
        end_momentum (float): The end momentum value for cosine annealing.
            Defaults to 0.
        interval (int): Interval between two updates. Defaults to 1.
        device (torch.device, optional): Where to keep the average.
            Defaults to None (the model's device).
        update_buffers (bool): Average the buffers too. Defaults to False.
    """

    def __init__(self, model: nn.Module, **kwargs) -> None:
        super().__init__(model, **kwargs)
        self.host_steps = 0

    def momentum_at(self, steps: int) -> float:
        """The weight ``m`` of the source model at update ``steps``."""
        max_iters = MessageHub.get_current_instance().get_info('max_iters')
        cosine_annealing = (cos(pi * steps / float(max_iters)) + 1) / 2
        return self.end_momentum - (self.end_momentum -
                                    self.momentum) * cosine_annealing

    @torch.no_grad()
    def update_parameters(self, model: nn.Module) -> None:
        """Average ``model`` into this one (a copy at the first update).

        Args:
            model (nn.Module): The source model, with the same structure.
        """
        src = (
            model.state_dict()
            if self.update_buffers else dict(model.named_parameters()))
        names = list(self.avg_parameters)
        averaged = [self.avg_parameters[name] for name in names]
        source = [
            src[name].detach().to(a.device)
            for name, a in zip(names, averaged)
        ]
        if self.host_steps == 0:
            torch._foreach_copy_(averaged, source)
        elif self.host_steps % self.interval == 0:
            floating = [
                i for i, a in enumerate(averaged) if a.dtype.is_floating_point
            ]
            averaged = [averaged[i] for i in floating]
            source = [source[i] for i in floating]
            momentum = self.momentum_at(self.host_steps)
            torch._foreach_mul_(averaged, 1 - momentum)
            torch._foreach_add_(averaged, source, alpha=momentum)
        if not self.update_buffers:
            buffers = list(self.module.buffers())
            if buffers:
                torch._foreach_copy_(buffers, list(model.buffers()))
        self.steps += 1  # on the device, no read back
        self.host_steps += 1

    def _load_from_state_dict(self, state_dict, prefix, *args,
                              **kwargs) -> None:
        steps = state_dict.get(prefix + 'steps')
        if steps is not None:
            self.host_steps = int(steps)  # once, when a checkpoint loads
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
