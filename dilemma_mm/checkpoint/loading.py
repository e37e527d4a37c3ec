"""Reading a checkpoint file: the one loader every tool and module calls.

:func:`load_checkpoint_file` reads with ``torch.load(weights_only=True)``,
so nothing in the file can run code (the classes mmengine's checkpoints
hold are allowlisted by :mod:`dilemma_mm.compat`). A published,
hash-named file is verified first. A file that is no checkpoint (a
directory, an empty, truncated or foreign file) is reported in one sentence
that names it and says what is wrong, instead of torch's internal error.
"""
import glob
import os.path as osp
import pickle
import re
import zipfile
from typing import Any, Optional

import torch

from .download import (UrlMapping, download_checkpoint, is_url,
                       verify_checkpoint_file)

# torch.save's default format is a zip archive; older files are a pickle.
ZIP_MAGIC = b'PK\x03\x04'
PICKLE_MAGIC = b'\x80'


class CheckpointFileError(ValueError):
    """A file given as a checkpoint is none: a directory, or an empty,
    truncated or foreign file."""


class UnsafeCheckpointError(CheckpointFileError, pickle.UnpicklingError):
    """A checkpoint refers to objects ``weights_only=True`` does not load."""


def _directory_error(path: str) -> CheckpointFileError:
    files = sorted(
        glob.glob(osp.join(glob.escape(path), '*.pth')), key=osp.getmtime)
    hint = (f'give a file in it, e.g. {files[-1]} (its newest .pth)'
            if files else 'it holds no .pth file')
    return CheckpointFileError(
        f'{path} is a directory, not a checkpoint file: {hint}.')


def resolve_checkpoint(path_or_url: str,
                       url_mapping: UrlMapping = None) -> str:
    """A local, verified path for a checkpoint path or URL.

    Raises:
        FileNotFoundError: A local path that does not exist.
        CheckpointFileError: A local path that is a directory.
        ChecksumError: A hash-named file that does not match its name.
    """
    if is_url(path_or_url) or path_or_url.startswith('file://'):
        return download_checkpoint(path_or_url, url_mapping)
    if osp.isdir(path_or_url):
        raise _directory_error(path_or_url)
    if not osp.isfile(path_or_url):
        raise FileNotFoundError(f'checkpoint not found: {path_or_url}')
    verify_checkpoint_file(path_or_url)
    return path_or_url


def _first_line(error: Exception) -> str:
    lines = str(error).strip().splitlines()
    return f'{type(error).__name__}: {lines[0]}' if lines else type(
        error).__name__


def _load_error(path: str, error: Exception) -> CheckpointFileError:
    """One sentence on why ``torch.load`` could not read ``path``."""
    refused = re.search(r'GLOBAL ([\w.]+)', str(error))
    if isinstance(error, pickle.UnpicklingError) and refused:
        return UnsafeCheckpointError(
            f'{path} was refused: it refers to {refused.group(1)}, which '
            'torch.load(weights_only=True) does not load. Only tensors, '
            'containers, numbers and the objects mmengine saves are '
            'loaded, so that no checkpoint can run code.')
    size = osp.getsize(path)
    with open(path, 'rb') as f:
        head = f.read(8)
    if size == 0:
        reason = 'it is empty (0 bytes)'
    elif head.startswith(ZIP_MAGIC) and not zipfile.is_zipfile(path):
        reason = (f'it is truncated or corrupt ({size} bytes, the end of '
                  'its zip archive is missing), as a save or a copy that '
                  'did not finish leaves it')
    elif head.startswith(ZIP_MAGIC):
        reason = ('it is a zip archive that torch.save did not write '
                  f'({_first_line(error)})')
    elif head.startswith(PICKLE_MAGIC):
        reason = ('it is a pickle, but not a complete torch checkpoint '
                  f'({_first_line(error)})')
    else:
        reason = f'it is not a torch checkpoint file (it starts with {head!r})'
    return CheckpointFileError(f'{path} is not a usable checkpoint: {reason}.')


def load_checkpoint_file(path_or_url: str,
                         url_mapping: UrlMapping = None,
                         extra_safe_globals: Optional[list] = None,
                         mmap: bool = False) -> Any:
    """Load a checkpoint to the CPU with ``torch.load(weights_only=True)``.

    Args:
        path_or_url (str): Local path, ``file://`` or ``http(s)://`` URL.
        url_mapping (tuple[str, str], optional): See
            :func:`~dilemma_mm.checkpoint.download.map_url`.
        extra_safe_globals (list[type], optional): More classes to allow
            for this load only, e.g. ``argparse.Namespace`` for the ``args``
            of the MoCo v3 / DILEMMA authors' checkpoints (rebuilt from
            their attribute dict; no code runs). Defaults to None.
        mmap (bool): Map the tensors instead of reading them, for a quick
            look at the metadata or a check that the file loads. Ignored
            for files in torch's legacy format. Defaults to False.

    Raises:
        FileNotFoundError: ``path_or_url`` does not exist.
        CheckpointFileError: It is a directory, or empty, truncated or not
            a torch file; the message names the file and the problem.
        UnsafeCheckpointError: It refers to objects that are not allowed
            (a subclass of ``pickle.UnpicklingError`` as well).
    """
    path = resolve_checkpoint(path_or_url, url_mapping)
    with open(path, 'rb') as f:
        mmap = mmap and f.read(4) == ZIP_MAGIC  # torch maps only zip files
    try:
        with torch.serialization.safe_globals(extra_safe_globals or []):
            return torch.load(
                path, map_location='cpu', weights_only=True, mmap=mmap)
    except Exception as error:  # torch raises many types for a bad file
        raise _load_error(path, error) from None


def check_checkpoint_file(path_or_url: str) -> None:
    """Fail early, with :func:`load_checkpoint_file`'s message, when
    ``path_or_url`` is no loadable checkpoint; tensors are mapped, not
    read, so this is quick."""
    load_checkpoint_file(path_or_url, mmap=True)


def read_checkpoint_meta(path: str) -> dict:
    """The ``meta`` dict of a checkpoint (``{}`` if it has none), read
    without loading the weights.

    Raises:
        As :func:`load_checkpoint_file`.
    """
    checkpoint = load_checkpoint_file(path, mmap=True)
    meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
    return meta if isinstance(meta, dict) else {}
