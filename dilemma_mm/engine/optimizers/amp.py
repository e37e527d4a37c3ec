"""The mixed-precision optimizer wrapper for a device, in one place for
``tools/train.py --amp`` and ``benchmark_throughput.py --amp``."""
import copy


def amp_optim_wrapper(optim_wrapper: dict, device: str) -> dict:
    """``optim_wrapper`` switched to mixed precision on ``device``.

    CUDA: mmengine's ``AmpOptimWrapper`` (fp16), with the config's
    ``loss_scale`` or dynamic loss scaling. Other devices: mmengine's wrapper
    refuses them; :class:`~dilemma_mm.engine.optimizers.CPUBf16OptimWrapper`
    autocasts to bf16, which needs no loss scaling.

    Args:
        optim_wrapper (dict): The config's ``optim_wrapper``.
        device (str): ``'cuda'``, ``'cuda:1'``, ``'cpu'``...

    Returns:
        dict: A new wrapper config.
    """
    optim_wrapper = copy.deepcopy(dict(optim_wrapper))
    if device.startswith('cuda'):
        optim_wrapper['type'] = 'AmpOptimWrapper'
        optim_wrapper.setdefault('loss_scale', 'dynamic')
    else:
        optim_wrapper['type'] = 'dilemma_mm.CPUBf16OptimWrapper'
        optim_wrapper.pop('loss_scale', None)
    return optim_wrapper
