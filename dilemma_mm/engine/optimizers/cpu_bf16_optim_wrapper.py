from contextlib import contextmanager

import torch
from mmengine.optim import OptimWrapper

from dilemma_mm.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class CPUBf16OptimWrapper(OptimWrapper):
    """Mixed precision on CPU: the forward pass runs under bf16 autocast.

    mmengine's ``AmpOptimWrapper`` only accepts CUDA-like devices; bf16 keeps
    float32's exponent range, so no loss scaling is needed. ``tools/train.py
    --amp`` picks this wrapper on machines without a GPU. Arguments are those
    of :class:`mmengine.optim.OptimWrapper`.
    """

    @contextmanager
    def optim_context(self, model: torch.nn.Module):
        with super().optim_context(model), torch.autocast(
                'cpu', dtype=torch.bfloat16):
            yield
