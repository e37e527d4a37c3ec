from .cpu_bf16_optim_wrapper import CPUBf16OptimWrapper

__all__ = ['CPUBf16OptimWrapper']
