"""Fixes for mmengine 0.10.7, mmcv 2.2 and mmpretrain 1.2 on current
PyTorch and NumPy: every patch dilemma_mm applies to another package.

:func:`apply_compat_patches`, called when ``dilemma_mm`` is imported (by our
tools or a downstream project's ``custom_imports``), applies each fix only
where the breakage it repairs is present, probed when the fix is applied.
Elsewhere a fix changes nothing. Set ``DILEMMA_MM_COMPAT_OFF`` to a comma
separated list of fix names (or ``all``) to leave fixes out.

==================  =================================  ======================
Fix                 Breakage repaired                  Applied when (probe)
==================  =================================  ======================
checkpoint_globals  torch >= 2.6 loads with            ``torch.load`` refuses
                    ``weights_only=True`` and refuses  a ``HistoryBuffer``
                    mmengine's resume checkpoints;     (torch >= 2.6)
                    we allowlist exactly what they
                    hold.
pkg_configs         ``dilemma_mm::`` configs of an     editable install, or
                    editable (PEP 660) install are     no ``pkg_resources``
                    sought in site-packages; without   (setuptools >= 82)
                    ``pkg_resources`` the error is
                    unclear (raised on use only).
adjust_hue          mmcv 2.2's ``adjust_hue`` does     ``np.uint8(-1)``
                    ``np.uint8(negative)``: every      raises (NumPy >= 2)
                    ``ColorJitter`` with hue crashes.
cpu_distributed     the ``pytorch`` launcher calls     NCCL or gloo with no
                    ``torch.cuda.set_device``; DDP     CUDA/MLU/NPU/MUSA
                    gets ``device_ids`` for a CPU      device; DDP of a CPU
                    module. Both fail on CPU.          module (mmengine 0.10)
atomic_checkpoints  checkpoints and the pointer        a checkpoint to a
                    ``last_checkpoint`` are written    local path (all
                    in place: a kill truncates them.   versions)
model_hub           mmpretrain's ``ModelHub.get``      a name mmpretrain's
                    reads only mmpretrain's index:     own ``get`` refuses,
                    ``mmpretrain.get_model`` cannot    asked first at every
                    build our models by name.          lookup
==================  =================================  ======================

Every probe is tested against the original's behaviour in
``tests/test_compat.py``.

The table sits above every other module of the package, as the patches of
``atomic_checkpoints`` and ``model_hub`` call code of ``checkpoint`` and
``apis``. ``dilemma_mm`` imports it first and applies the fixes before it
imports the rest, so those imports wait until a patch runs.
"""
import collections
import functools
import importlib.util
import io
import os
import os.path as osp
import pickle
import warnings

import numpy as np
import torch

COMPAT_OFF_ENV = 'DILEMMA_MM_COMPAT_OFF'
_APPLIED = False


def fix_enabled(name: str) -> bool:
    """Whether fix ``name`` is not turned off by ``DILEMMA_MM_COMPAT_OFF``."""
    off = {n.strip() for n in os.environ.get(COMPAT_OFF_ENV, '').split(',')}
    return not ({name, 'all'} & off)


# --- checkpoint_globals -----------------------------------------------------


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


def torch_load_refuses_mmengine_checkpoints() -> bool:
    """Whether plain ``torch.load`` rejects a pickled ``HistoryBuffer``."""
    from mmengine.logging.history_buffer import HistoryBuffer
    buffer = io.BytesIO()
    torch.save({'buffer': HistoryBuffer([1.0], [1])}, buffer)
    buffer.seek(0)
    try:
        torch.load(buffer)
    except pickle.UnpicklingError:
        return True
    return False


def _allow_mmengine_checkpoints() -> bool:
    if not hasattr(torch.serialization, 'add_safe_globals'):
        return False  # PyTorch < 2.4 loads any pickle by default
    if not torch_load_refuses_mmengine_checkpoints():
        return False
    torch.serialization.add_safe_globals(mmengine_checkpoint_globals() +
                                         [(_history_buffer_getattr,
                                           'builtins.getattr')])
    return True


# --- pkg_configs ------------------------------------------------------------


def pkg_resources_missing() -> bool:
    """Whether mmengine's ``get_installed_path`` lacks ``pkg_resources``."""
    return importlib.util.find_spec('pkg_resources') is None


def editable_install_dir(package: str = 'dilemma_mm') -> str:
    """The source directory of ``package`` when it is installed editable
    (its distribution's location does not hold it); '' otherwise."""
    import importlib.metadata
    try:
        dist = importlib.metadata.distribution(package)
    except importlib.metadata.PackageNotFoundError:
        return ''  # mmengine falls back to find_spec, which works
    if osp.isdir(str(dist.locate_file(package))):
        return ''
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        return ''
    return osp.dirname(spec.origin)


def _fix_pkg_configs() -> bool:
    from mmengine.config.utils import MODULE2PACKAGE

    # mmengine only resolves ``pkg::`` for the packages it lists.
    MODULE2PACKAGE.setdefault('dilemma_mm', 'dilemma_mm')

    import mmengine.utils
    from mmengine.config import config as config_module
    from mmengine.utils import package_utils
    original = package_utils.get_installed_path
    if getattr(original, '_dilemma_mm_patched', False):
        return True
    editable_dir = editable_install_dir()
    if not editable_dir and not pkg_resources_missing():
        return False

    @functools.wraps(original)
    def get_installed_path(package: str) -> str:
        if package == 'dilemma_mm' and editable_dir:
            return editable_dir
        try:
            return original(package)
        except ModuleNotFoundError as e:
            if e.name != 'pkg_resources':
                raise
            raise ModuleNotFoundError(
                'mmengine 0.10 needs pkg_resources to resolve "package::" '
                'configs; install setuptools<82 (pip install '
                '"setuptools<82")',
                name=e.name) from e

    get_installed_path._dilemma_mm_patched = True
    for module in (mmengine.utils, package_utils, config_module):
        module.get_installed_path = get_installed_path
    return True


# --- adjust_hue -------------------------------------------------------------


def numpy_rejects_negative_uint8() -> bool:
    """Whether ``np.uint8(-1)`` raises (NumPy 2) instead of wrapping."""
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


def _fix_adjust_hue() -> bool:
    if not numpy_rejects_negative_uint8():
        return False
    import mmcv
    import mmcv.image
    import mmcv.image.photometric
    for module in (mmcv, mmcv.image, mmcv.image.photometric):
        module.adjust_hue = adjust_hue
    return True


# --- cpu_distributed --------------------------------------------------------


def no_accelerator() -> bool:
    """Whether mmengine's ``pytorch`` launcher would find no device to select:
    no CUDA, MLU, NPU or MUSA device."""
    from mmengine.device import (is_mlu_available, is_musa_available,
                                 is_npu_available)
    return not (torch.cuda.is_available() or is_mlu_available()
                or is_npu_available() or is_musa_available())


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


def init_dist_without_accelerator(original):
    """Wrap mmengine's ``_init_dist_pytorch``: with no device to select and
    NCCL or gloo asked for, start gloo without ``set_device``; otherwise
    (other accelerators, backends or ``init_backend``) call ``original``."""

    @functools.wraps(original)
    def _init_dist_pytorch(backend, init_backend='torch', **kwargs):
        if (init_backend != 'torch' or backend not in ('nccl', 'gloo')
                or not no_accelerator()):
            return original(backend, init_backend, **kwargs)
        if backend == 'nccl':
            warnings.warn('NCCL needs CUDA: using the gloo backend on CPU.')
        torch.distributed.init_process_group(backend='gloo', **kwargs)

    _init_dist_pytorch._dilemma_mm_patched = True
    return _init_dist_pytorch


def _fix_cpu_distributed() -> bool:
    from mmengine.dist import utils as dist_utils
    from mmengine.model.wrappers import distributed as ddp_module

    original_init_dist = dist_utils._init_dist_pytorch
    if getattr(original_init_dist, '_dilemma_mm_patched', False):
        return True
    dist_utils._init_dist_pytorch = init_dist_without_accelerator(
        original_init_dist)

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
    return True


# --- atomic_checkpoints -----------------------------------------------------


class _AtomicTextWriter:
    """What ``open(path, 'w')`` returns in mmengine's checkpoint hook:
    collects the text and writes it atomically on close."""

    def __init__(self, path) -> None:
        self.path, self.parts = path, []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *args) -> None:
        if exc_type is None:
            from dilemma_mm.checkpoint.atomic import write_bytes_atomic
            write_bytes_atomic(''.join(self.parts).encode(), self.path)


def _open_pointer_atomically(file, mode='r', *args, **kwargs):
    if mode == 'w' and osp.basename(str(file)) == 'last_checkpoint':
        return _AtomicTextWriter(file)
    return open(file, mode, *args, **kwargs)


def atomic_save_checkpoint(original):
    """Wrap mmengine's ``save_checkpoint``: a checkpoint to a local path is
    written with :func:`~dilemma_mm.checkpoint.atomic.save_atomic`; others
    (URLs, backend arguments) go to ``original``."""

    @functools.wraps(original)
    def save_checkpoint(checkpoint,
                        filename,
                        file_client_args=None,
                        backend_args=None):
        if (file_client_args is not None or backend_args is not None
                or '://' in str(filename)):
            return original(checkpoint, filename, file_client_args,
                            backend_args)
        from dilemma_mm.checkpoint.atomic import save_atomic
        save_atomic(checkpoint, filename)

    save_checkpoint._dilemma_mm_patched = True
    return save_checkpoint


def _fix_atomic_checkpoints() -> bool:
    from mmengine.hooks import checkpoint_hook
    from mmengine.runner import runner as runner_module

    if getattr(runner_module.save_checkpoint, '_dilemma_mm_patched', False):
        return True
    runner_module.save_checkpoint = atomic_save_checkpoint(
        runner_module.save_checkpoint)
    # The module's global ``open`` shadows the built-in for that module only.
    checkpoint_hook.open = _open_pointer_atomically
    return True


# --- model_hub --------------------------------------------------------------


def model_hub_get(original):
    """Wrap mmpretrain's ``ModelHub.get``: a name ``original`` refuses is
    looked up in our model index. Every name mmpretrain knows (also one
    both indexes use: ours is then ``dilemma_mm::<name>``) and its error
    for a name neither knows stay mmpretrain's."""

    @functools.wraps(original)
    def get(model_name: str):
        try:
            return original(model_name)
        except ValueError:
            from dilemma_mm.apis.model import hub_metainfo
            metainfo = hub_metainfo(model_name)
            if metainfo is None:
                raise
            return metainfo

    get._dilemma_mm_patched = True
    return get


def _fix_model_hub() -> bool:
    from mmpretrain.apis.model import ModelHub
    if not getattr(ModelHub.get, '_dilemma_mm_patched', False):
        ModelHub.get = staticmethod(model_hub_get(ModelHub.get))
    return True


FIXES = collections.OrderedDict(
    checkpoint_globals=_allow_mmengine_checkpoints,
    pkg_configs=_fix_pkg_configs,
    adjust_hue=_fix_adjust_hue,
    cpu_distributed=_fix_cpu_distributed,
    atomic_checkpoints=_fix_atomic_checkpoints,
    model_hub=_fix_model_hub)
APPLIED_FIXES: list = []


def apply_compat_patches() -> list:
    """Apply each fix of the table above where its breakage is present and
    ``DILEMMA_MM_COMPAT_OFF`` does not name it; safe to call more than once.

    Returns:
        list[str]: The names of the fixes in effect.
    """
    global _APPLIED
    if not _APPLIED:
        for name, fix in FIXES.items():
            if fix_enabled(name) and fix():
                APPLIED_FIXES.append(name)
        _APPLIED = True
    return list(APPLIED_FIXES)
