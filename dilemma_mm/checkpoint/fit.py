"""Loading weights that must fit: every evaluation tool and the
``Pretrained`` ``init_cfg`` of the benchmark configs go through
:func:`load_backbone_checkpoint`, which refuses a checkpoint that leaves
weights missing or unexpected unless told to accept it."""
import torch.nn as nn
from mmengine.model import is_model_wrapper

from .loading import CheckpointFileError, load_checkpoint_file
from .mapping import strip_ddp_prefix


class PartialCheckpointError(ValueError):
    """A checkpoint leaves backbone weights missing or unexpected."""


class ModelMismatchError(ValueError):
    """A checkpoint to resume is another model's (keys or shapes differ)."""


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
        CheckpointFileError: ``filename`` is no checkpoint (see
            :func:`~dilemma_mm.checkpoint.load_checkpoint_file`).
        ValueError: If no key of the checkpoint matches the backbone.
        PartialCheckpointError: If keys are missing or unexpected and
            ``allow_partial`` is False; the message names them.
    """
    checkpoint = load_checkpoint_file(filename)
    if not isinstance(checkpoint, dict):
        raise CheckpointFileError(
            f'{filename} is not a usable checkpoint: it holds a '
            f'{type(checkpoint).__name__}, not a dict of weights.')
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


def check_model_fits(model: nn.Module, filename: str) -> None:
    """Refuse to resume ``filename`` into a ``model`` whose parameters
    differ from the checkpoint's (a changed depth or width, say).

    mmengine's resume loads the weights with ``strict=False`` (a warning)
    and then fails in the optimizer with ``loaded state dict contains a
    parameter group that doesn't match``; this names the keys instead,
    before anything is loaded. The tensors are mapped, not read.

    Args:
        model (nn.Module): The built model, possibly wrapped (DDP).
        filename (str): The checkpoint to resume.

    Raises:
        ModelMismatchError: Keys are missing, unexpected or of another
            shape; the message names them.
    """
    if is_model_wrapper(model):
        model = model.module
    checkpoint = load_checkpoint_file(filename, mmap=True)
    if not isinstance(checkpoint, dict):
        raise CheckpointFileError(
            f'{filename} is not a usable checkpoint: it holds a '
            f'{type(checkpoint).__name__}, not a dict of weights.')
    # as mmengine's resume reads it
    theirs = strip_ddp_prefix(checkpoint.get('state_dict', checkpoint))
    ours = model.state_dict()
    missing = [k for k in ours if k not in theirs]
    unexpected = [k for k in theirs if k not in ours]
    reshaped = [
        f'{k} {tuple(theirs[k].shape)} -> {tuple(v.shape)}'
        for k, v in ours.items()
        if k in theirs and tuple(theirs[k].shape) != tuple(v.shape)
    ]
    if missing or unexpected or reshaped:
        raise ModelMismatchError(
            f'{filename} does not fit the model of this command: missing '
            f'keys {_key_list(missing)}, unexpected keys '
            f'{_key_list(unexpected)}, other shapes {_key_list(reshaped)}. '
            'The run was trained with another model (a changed config or '
            '--cfg-options): resume it with the model it had, or pass '
            '--work-dir with a new directory to train this one.')
