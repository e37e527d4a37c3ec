from .amp import amp_optim_wrapper
from .cpu_bf16_optim_wrapper import CPUBf16OptimWrapper

__all__ = ['CPUBf16OptimWrapper', 'amp_optim_wrapper']
