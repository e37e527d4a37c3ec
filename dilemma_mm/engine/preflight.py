"""Checks before a training run starts, so that it fails in its first
seconds with a sentence rather than after hours, or not at all: what the
``tools/train.py`` command line calls before ``runner.train()``."""
from typing import Dict, List

import torch.nn as nn
from mmengine.model import is_model_wrapper

from dilemma_mm.checkpoint import load_backbone_checkpoint


def _pretrained_cfgs(module: nn.Module) -> List[dict]:
    init_cfg = getattr(module, 'init_cfg', None)
    cfgs = [init_cfg] if isinstance(init_cfg, dict) else (init_cfg or [])
    return [cfg for cfg in cfgs if cfg.get('type') == 'Pretrained']


def check_pretrained_init(model: nn.Module,
                          allow_partial: bool = False,
                          logger=None) -> Dict[str, dict]:
    """Check every ``Pretrained`` ``init_cfg`` of ``model`` (a linear probe
    or fine-tuning config's backbone) against its module.

    mmengine's ``Pretrained`` initialisation loads with ``strict=False`` and
    only logs missing keys. Call this after the model is built and before
    training: it loads each checkpoint with :func:`load_backbone_checkpoint`
    (the runner's ``init_weights`` loads it again later, so the weights it
    leaves do not matter) and so fails before the first step.

    Args:
        model (nn.Module): The built model, possibly wrapped (DDP).
        allow_partial (bool): Accept missing or unexpected keys (logged and
            returned). Defaults to False.
        logger (optional): Where to report accepted missing keys.

    Returns:
        dict: For each module with a ``Pretrained`` init (``'backbone'``),
        its ``missing_keys`` and ``unexpected_keys``.

    Raises:
        ValueError: If such an ``init_cfg`` names no checkpoint.
        PartialCheckpointError: As :func:`load_backbone_checkpoint`.
    """
    if is_model_wrapper(model):
        model = model.module
    results = {}
    for path, module in model.named_modules():
        for cfg in _pretrained_cfgs(module):
            where = f'model.{path}.init_cfg' if path else 'model.init_cfg'
            if not cfg.get('checkpoint'):
                raise ValueError(
                    f'{where} is Pretrained but names no checkpoint: pass '
                    f'--cfg-options {where}.checkpoint=PATH')
            results[path] = load_backbone_checkpoint(
                module,
                cfg['checkpoint'],
                cfg.get('prefix') or '',
                logger,
                allow_partial,
                name=f'model.{path} (from {where})')
    return results
