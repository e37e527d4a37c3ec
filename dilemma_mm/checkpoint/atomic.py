"""Writing checkpoints (and other files) atomically: training's
checkpoints and ``last_checkpoint`` (through the ``atomic_checkpoints`` fix
of :mod:`dilemma_mm.compat`), published and converted models."""
import io
import os
import os.path as osp
import tempfile
from typing import Any


def write_bytes_atomic(data: bytes, path: str) -> str:
    """Write ``data`` to ``path`` through a temporary file beside it and a
    rename, so ``path`` never holds a half-written file (a run killed while
    saving leaves the previous file, or none). Returns ``path``."""
    path = os.fspath(path)
    directory = osp.dirname(osp.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp_path = tempfile.mkstemp(
        prefix=f'.{osp.basename(path)}.', suffix='.tmp', dir=directory)
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_path, 0o666 & ~umask)  # mkstemp creates it 0600
        os.replace(tmp_path, path)
    except BaseException:
        if osp.exists(tmp_path):
            os.remove(tmp_path)
        raise
    return path


def save_atomic(obj: Any, path: str) -> str:
    """``torch.save`` ``obj`` with :func:`write_bytes_atomic`. Returns
    ``path``."""
    import torch
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return write_bytes_atomic(buffer.getvalue(), path)
