"""Fixes for mmengine 0.10.7 and mmcv 2.2 on current PyTorch and NumPy.

Each fix is small, named after the breakage it repairs (measured in
``shared/DESIGN.md`` §4) and applied once by :func:`apply_compat_patches`,
which importing ``dilemma_mm`` calls, so our tools and a downstream project's
``custom_imports=dict(imports=['dilemma_mm'])`` both get them. The fixes
change nothing on a setup where the original works (a GPU machine, NumPy 1).

1. ``torch.load`` defaults to ``weights_only=True`` since PyTorch 2.6 and
   mmengine's own checkpoints (message hub, numpy scalars) are refused on
   resume. We keep ``weights_only=True`` and allowlist exactly the classes
   mmengine writes, so loading a checkpoint never executes code from it.
2. A config that inherits ``mmpretrain::...`` carries ``_scope_`` into the
   ``collate_fn`` dict, which mmengine passes on as a keyword argument.
3. mmengine resolves ``pkg::`` configs through ``pkg_resources`` (gone in
   setuptools 82: we pin ``setuptools<82``), only for packages in its
   ``MODULE2PACKAGE`` table (we add ``dilemma_mm``), and looks an editable
   (PEP 660) install up in ``site-packages``, where the package is absent.
4. mmcv 2.2's ``adjust_hue`` does ``np.uint8(negative)``, which NumPy 2
   rejects, so every ``ColorJitter`` with a hue range crashes.
5. On a machine without a GPU, mmengine's ``pytorch`` launcher calls
   ``torch.cuda.set_device`` and the runner gives DDP ``device_ids``; both
   fail. We initialise gloo and wrap a CPU module without device ids.
6. Checkpoints are written in place, so a run killed while saving leaves a
   truncated file under the final name. We write to a temporary file and
   rename it, which is atomic on POSIX file systems. The same holds for the
   ``last_checkpoint`` pointer, which ``CheckpointHook`` writes with a
   plain ``open(..., 'w')``: a kill there left an empty pointer.
"""
import collections
import copy
import functools
import os.path as osp
import pickle
import warnings

import numpy as np
import torch

_APPLIED = False


def mmengine_checkpoint_globals() -> list:
    """The classes and functions an mmengine checkpoint's pickle refers to,
    beyond what ``torch.load(weights_only=True)`` allows by default."""
    from mmengine.logging.history_buffer import HistoryBuffer
    numpy_core = getattr(np, '_core', None) or np.core
    safe = [
        HistoryBuffer,
        np.ndarray,
        np.dtype,
        numpy_core.multiarray._reconstruct,
        numpy_core.multiarray.scalar,
        collections.OrderedDict,
        collections.defaultdict,
    ]
    # ``np.dtype`` instances pickle as their concrete class (np.dtypes.*).
    safe += [type(np.dtype(t)) for t in np.sctypeDict.values()]
    return safe


def _history_buffer_getattr(obj, name: str):
    """Stands in for ``getattr`` in mmengine checkpoints.

    ``HistoryBuffer`` pickles its statistics methods as
    ``getattr(HistoryBuffer, 'mean')``. A free ``getattr`` would let a pickle
    reach any attribute of any allowed object (``ndarray.tofile``...), so
    only the registered statistics methods of ``HistoryBuffer`` pass.
    """
    from mmengine.logging.history_buffer import HistoryBuffer

    # The four built-ins are registered lazily, by the first instance.
    allowed = {'min', 'max', 'mean', 'current'}
    allowed.update(HistoryBuffer._statistics_methods)
    if obj is HistoryBuffer and name in allowed:
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'refusing getattr({obj!r}, {name!r}) while loading a checkpoint: '
        'only HistoryBuffer statistics methods are allowed')


def _allow_mmengine_checkpoints() -> None:
    torch.serialization.add_safe_globals(mmengine_checkpoint_globals() +
                                         [(_history_buffer_getattr,
                                           'builtins.getattr')])


def _fix_collate_fn_scope() -> None:
    from mmengine.registry import FUNCTIONS, DefaultScope
    from mmengine.runner import Runner

    original = Runner.build_dataloader
    if getattr(original, '_dilemma_mm_patched', False):
        return

    @functools.wraps(original)
    def build_dataloader(dataloader, *args, **kwargs):
        collate_cfg = (
            dataloader.get('collate_fn')
            if isinstance(dataloader, dict) else None)
        if isinstance(collate_cfg, dict) and '_scope_' in collate_cfg:
            # Resolve the function in the scope the config came from, then
            # hand mmengine a callable: it forwards every other key to it.
            collate_cfg = dict(collate_cfg)
            scope = collate_cfg.pop('_scope_')
            if isinstance(collate_cfg.get('type'), str):
                with DefaultScope.overwrite_default_scope(scope):
                    func = FUNCTIONS.get(collate_cfg['type'])
                if func is None:
                    raise KeyError(f'collate_fn type "{collate_cfg["type"]}"'
                                   f' is not registered in scope "{scope}"')
                collate_cfg['type'] = func
            dataloader = copy.copy(dataloader)
            dataloader['collate_fn'] = collate_cfg
        return original(dataloader, *args, **kwargs)

    build_dataloader._dilemma_mm_patched = True
    Runner.build_dataloader = staticmethod(build_dataloader)


def _fix_installed_path() -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', UserWarning)  # "deprecated"
            import pkg_resources  # noqa: F401
    except ImportError as e:
        raise ImportError(
            'mmengine 0.10 needs pkg_resources to resolve "package::" '
            'configs; install setuptools<82 (pip install "setuptools<82")'
        ) from e
    import importlib.util

    import mmengine.utils
    from mmengine.config import config as config_module
    from mmengine.config.utils import MODULE2PACKAGE
    from mmengine.utils import package_utils

    # mmengine only resolves ``pkg::`` for the packages it lists.
    MODULE2PACKAGE.setdefault('dilemma_mm', 'dilemma_mm')

    original = package_utils.get_installed_path
    if getattr(original, '_dilemma_mm_patched', False):
        return

    @functools.wraps(original)
    def get_installed_path(package: str) -> str:
        path = original(package)
        if not osp.exists(path):
            # Editable (PEP 660) installs keep the package in the source tree.
            spec = importlib.util.find_spec(package)
            if spec is not None and spec.origin is not None:
                return osp.dirname(spec.origin)
        return path

    get_installed_path._dilemma_mm_patched = True
    for module in (mmengine.utils, package_utils, config_module):
        module.get_installed_path = get_installed_path


def _numpy_rejects_negative_uint8() -> bool:
    try:
        np.uint8(-1)
    except OverflowError:
        return True
    return False


def adjust_hue(img: np.ndarray,
               hue_factor: float,
               backend: str = None) -> np.ndarray:
    """``mmcv.adjust_hue`` with the hue shift taken modulo 256 explicitly.

    Same contract and results as mmcv's on NumPy 1, where ``np.uint8`` of a
    negative value wrapped around; NumPy 2 raises there instead.
    """
    import cv2
    import mmcv
    from PIL import Image
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f'hue_factor:{hue_factor} is not in [-0.5, 0.5].')
    if not (isinstance(img, np.ndarray) and img.ndim in (2, 3)):
        raise TypeError('img should be ndarray with dim=[2 or 3].')
    backend = backend or mmcv.image.io.imread_backend
    if backend not in ('cv2', 'pillow'):
        raise ValueError(f'backend: {backend} is not supported.'
                         "Supported backends are 'cv2', 'pillow'")
    # int() truncates toward zero like the old uint8 cast, % 256 wraps.
    hue_shift = np.uint8(int(hue_factor * 255) % 256)
    if backend == 'pillow':
        if img.dtype != np.uint8:
            raise TypeError('Pillow backend only support uint8 type')
        pil_image = Image.fromarray(img[..., ::-1], mode='RGB')
        hue, sat, val = pil_image.convert('HSV').split()
        hue = np.array(hue, dtype=np.uint8) + hue_shift  # wraps mod 256
        pil_image = Image.merge('HSV', (Image.fromarray(hue, 'L'), sat, val))
        return np.array(pil_image.convert('RGB'), dtype=img.dtype)[..., ::-1]
    hsv = cv2.cvtColor(img.astype(np.uint8), cv2.COLOR_BGR2HSV_FULL)
    hsv[..., 0] += hue_shift  # uint8 arithmetic wraps mod 256
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR_FULL).astype(img.dtype)


def _fix_adjust_hue() -> None:
    if not _numpy_rejects_negative_uint8():
        return
    import mmcv
    import mmcv.image
    import mmcv.image.photometric
    for module in (mmcv, mmcv.image, mmcv.image.photometric):
        module.adjust_hue = adjust_hue


def _revert_sync_batchnorm_on_cpu(module: torch.nn.Module) -> torch.nn.Module:
    """PyTorch's SyncBatchNorm runs on GPUs only, and mmpretrain's SSL necks
    use it. On CPU each process normalises with its own batch statistics."""
    if not any(
            isinstance(m, torch.nn.SyncBatchNorm) for m in module.modules()):
        return module
    from mmengine.model import revert_sync_batchnorm
    warnings.warn('SyncBatchNorm needs a GPU: on CPU every process uses its '
                  'own batch statistics (BatchNorm) instead.')
    return revert_sync_batchnorm(module)


def _fix_cpu_distributed() -> None:
    from mmengine.dist import utils as dist_utils
    from mmengine.model.wrappers import distributed as ddp_module

    original_init_dist = dist_utils._init_dist_pytorch
    if getattr(original_init_dist, '_dilemma_mm_patched', False):
        return

    @functools.wraps(original_init_dist)
    def _init_dist_pytorch(backend, init_backend='torch', **kwargs):
        if torch.cuda.is_available() or init_backend != 'torch':
            return original_init_dist(backend, init_backend, **kwargs)
        # No GPU: NCCL cannot run and there is no device to select.
        torch.distributed.init_process_group(backend='gloo', **kwargs)

    _init_dist_pytorch._dilemma_mm_patched = True
    dist_utils._init_dist_pytorch = _init_dist_pytorch

    ddp_class = ddp_module.MMDistributedDataParallel
    original_ddp_init = ddp_class.__init__

    @functools.wraps(original_ddp_init)
    def ddp_init(self, module, detect_anomalous_params=False, **kwargs):
        first_param = next(module.parameters(), None)
        if first_param is not None and first_param.device.type == 'cpu':
            # DDP refuses device_ids for a CPU module.
            kwargs.pop('device_ids', None)
            kwargs.pop('output_device', None)
            module = _revert_sync_batchnorm_on_cpu(module)
        original_ddp_init(self, module, detect_anomalous_params, **kwargs)

    ddp_class.__init__ = ddp_init


def _atomic_local_put(self, obj: bytes, filepath) -> None:
    """``LocalBackend.put`` through a temporary file and a rename."""
    from .fileio import write_bytes_atomic
    write_bytes_atomic(obj, filepath)


class _AtomicTextWriter:
    """What ``open(path, 'w')`` returns in mmengine's checkpoint hook:
    collects the text and writes it with :func:`write_bytes_atomic` on
    close."""

    def __init__(self, path) -> None:
        self.path, self.parts = path, []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *args) -> None:
        if exc_type is None:
            from .fileio import write_bytes_atomic
            write_bytes_atomic(''.join(self.parts).encode(), self.path)


def _open_pointer_atomically(file, mode='r', *args, **kwargs):
    if mode == 'w' and osp.basename(str(file)) == 'last_checkpoint':
        return _AtomicTextWriter(file)
    return open(file, mode, *args, **kwargs)


def _atomic_checkpoint_writes() -> None:
    from mmengine.fileio.backends import LocalBackend
    from mmengine.hooks import checkpoint_hook
    LocalBackend.put = _atomic_local_put
    # The module's global ``open`` shadows the built-in for that module only.
    checkpoint_hook.open = _open_pointer_atomically


def apply_compat_patches() -> None:
    """Apply every fix above; safe to call more than once."""
    global _APPLIED
    if _APPLIED:
        return
    _allow_mmengine_checkpoints()
    _fix_collate_fn_scope()
    _fix_installed_path()
    _fix_adjust_hue()
    _fix_cpu_distributed()
    _atomic_checkpoint_writes()
    _APPLIED = True
