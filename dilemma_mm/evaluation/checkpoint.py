"""Loading weights that must fit: every evaluation tool and the
``Pretrained`` ``init_cfg`` of the benchmark configs go through
:func:`load_backbone_checkpoint`, which refuses a checkpoint that leaves
weights missing or unexpected unless told to accept it."""
from typing import Dict, List

import torch.nn as nn
from mmengine.model import is_model_wrapper
from mmengine.runner import CheckpointLoader

from dilemma_mm.models.utils.state_dict_mapping import strip_ddp_prefix


class PartialCheckpointError(ValueError):
    """A checkpoint leaves backbone weights missing or unexpected."""


def _key_list(keys: list, limit: int = 8) -> str:
    more = f' and {len(keys) - limit} more' if len(keys) > limit else ''
    return f'{len(keys)} ({", ".join(keys[:limit])}{more})'


def load_backbone_checkpoint(backbone: nn.Module,
                             filename: str,
                             prefix: str = 'backbone.',
                             logger=None,
                             allow_partial: bool = False,
                             name: str = 'the backbone') -> dict:
    """Load a backbone from an algorithm or a backbone-only checkpoint.

    Keys starting with ``prefix`` (mmpretrain's ``backbone.``; MoCo v3's
    momentum encoder is ``momentum_encoder.module.0.``) are loaded with
    the prefix removed; a checkpoint without such keys is taken as the
    backbone's own state dict. ``prefix=''`` loads a whole model.

    Args:
        backbone (nn.Module): The module to fill.
        filename (str): Checkpoint path or URL.
        prefix (str): Key prefix of the backbone in algorithm checkpoints.
        logger (optional): Where to report missing and unexpected keys.
        allow_partial (bool): Load a checkpoint that leaves backbone
            weights missing or has unexpected ones (a warning, and the keys
            in the result) instead of refusing it. Defaults to False.
        name (str): What ``backbone`` is, for the error message. Defaults
            to ``'the backbone'``.

    Returns:
        dict: ``missing_keys`` and ``unexpected_keys`` of the load.

    Raises:
        ValueError: If no key of the checkpoint matches the backbone.
        PartialCheckpointError: If keys are missing or unexpected and
            ``allow_partial`` is False; the message names them.
    """
    checkpoint = CheckpointLoader.load_checkpoint(filename, map_location='cpu')
    # as mmengine's ``Pretrained`` init reads it
    state = strip_ddp_prefix(checkpoint.get('state_dict', checkpoint))
    if any(key.startswith(prefix) for key in state):
        state = {
            key[len(prefix):]: value
            for key, value in state.items() if key.startswith(prefix)
        }
    own_keys = set(backbone.state_dict())
    if not own_keys & set(state):
        raise ValueError(f'{filename} holds no weights of {name} (no key '
                         f'with prefix {prefix!r}, and no key of {name} '
                         'itself)')
    result = backbone.load_state_dict(state, strict=False)
    if not allow_partial and (result.missing_keys or result.unexpected_keys):
        raise PartialCheckpointError(
            f'{filename} does not fit {name}: missing keys '
            f'{_key_list(result.missing_keys)}, unexpected keys '
            f'{_key_list(result.unexpected_keys)}. Is it the checkpoint of '
            'this config (depth, width, patch size)? --allow-partial loads '
            'it anyway and records the keys.')
    if logger is not None and (result.missing_keys or result.unexpected_keys):
        logger.warning(f'loading {filename}: missing keys '
                       f'{result.missing_keys}, unexpected keys '
                       f'{result.unexpected_keys}')
    return dict(
        missing_keys=result.missing_keys,
        unexpected_keys=result.unexpected_keys)


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
