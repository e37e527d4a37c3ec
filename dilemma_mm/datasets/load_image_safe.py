"""Image loading that turns a broken file into a skipped sample."""
from typing import Optional

import mmcv
import numpy as np
from mmcv.transforms import LoadImageFromFile
from mmengine import fileio
from mmengine.logging import MMLogger

from dilemma_mm.registry import TRANSFORMS

JPEG_START = b'\xff\xd8'
JPEG_SCAN = b'\xff\xda'
JPEG_END = b'\xff\xd9'
PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'


def find_truncation(img_bytes: bytes) -> Optional[str]:
    """Why ``img_bytes`` looks cut short, or ``None``; a cheap heuristic.

    OpenCV decodes a truncated JPEG without an error and fills the missing
    part with grey, so we look for the end markers instead of decoding. In a
    JPEG the end-of-image marker must follow the last start-of-scan (an EXIF
    thumbnail's end marker comes before it, and entropy-coded data cannot
    contain either marker); a PNG must hold its ``IEND`` chunk.
    ``tools/dataset_converters/prepare_yoga82.py`` does the full check.
    """
    if not img_bytes:
        return 'empty file'
    if img_bytes.startswith(JPEG_START):
        last_scan = img_bytes.rfind(JPEG_SCAN)
        if last_scan < 0 or img_bytes.find(JPEG_END, last_scan) < 0:
            return 'truncated JPEG (no end-of-image marker after the scan)'
    elif img_bytes.startswith(PNG_SIGNATURE):
        if img_bytes.rfind(b'IEND') < 0:
            return 'truncated PNG (no IEND chunk)'
    return None


@TRANSFORMS.register_module()
class LoadImageFromFileSafe(LoadImageFromFile):
    """:class:`mmcv.transforms.LoadImageFromFile` that survives bad files.

    A missing, empty, truncated or undecodable file, or an image smaller
    than ``min_size`` on a side, is reported once per path in the log with
    the reason, and the transform returns ``None``. In
    training mmengine's ``BaseDataset.__getitem__`` then draws another index
    (up to ``max_refetch`` times), so one dead download never stops a run.
    With ``on_error='raise'`` the error names the file instead of mmcv's bare
    ``failed to load image`` or OpenCV's silent grey fill.

    In training, :class:`dilemma_mm.engine.hooks.BadImageHook` (added by
    ``tools/train.py``) sets :attr:`report_file`: each skip is then appended
    there as ``path<TAB>reason`` from whichever worker process met it, and
    the hook names each file once, counts the skips per epoch and stops the
    run above its threshold.

    Args:
        check_truncated (bool): Reject JPEG and PNG files without their end
            marker (see :func:`find_truncation`). Defaults to True.
        on_error (str): ``'skip'`` (return ``None``) or ``'raise'``.
            Defaults to ``'skip'``.
        min_size (int): Images with a side shorter than this many pixels
            are bad: a crop would upscale a few pixels into a whole view.
            Defaults to 16 (one ViT/16 patch).
        **kwargs: Arguments of :class:`mmcv.transforms.LoadImageFromFile`
            (``to_float32``, ``color_type``, ``imdecode_backend``,
            ``backend_args``). ``imdecode_backend='pillow'`` also rejects
            any truncation Pillow detects while decoding.
    """

    def __init__(self,
                 check_truncated: bool = True,
                 on_error: str = 'skip',
                 min_size: int = 16,
                 **kwargs) -> None:
        if on_error not in ('skip', 'raise'):
            raise ValueError(f"on_error must be 'skip' or 'raise', got "
                             f'{on_error!r}')
        super().__init__(**kwargs)
        self.check_truncated = check_truncated
        self.on_error = on_error
        self.min_size = min_size
        self.report_file: Optional[str] = None
        self._reported = set()

    def _decode(self, filename: str) -> np.ndarray:
        """The image of ``filename``; raises ``OSError`` saying why not."""
        try:
            img_bytes = fileio.get(filename, backend_args=self.backend_args)
        except Exception as e:
            raise OSError(f'cannot read: {type(e).__name__}: {e}') from e
        reason = find_truncation(img_bytes) if self.check_truncated else None
        if reason is None:
            try:
                img = mmcv.imfrombytes(
                    img_bytes,
                    flag=self.color_type,
                    backend=self.imdecode_backend)
            except Exception as e:
                raise OSError(f'cannot decode: {type(e).__name__}: {e}') from e
            if img is not None and min(img.shape[:2]) >= self.min_size:
                return img
            reason = (f'{self.imdecode_backend} cannot decode it'
                      if img is None or not img.size else
                      f'{img.shape[1]}x{img.shape[0]} px, smaller than '
                      f'min_size={self.min_size}')
        raise OSError(reason)

    def transform(self, results: dict) -> Optional[dict]:
        """Load ``results['img_path']``; ``None`` if it cannot be loaded."""
        filename = results['img_path']
        try:
            img = self._decode(filename)
        except OSError as e:
            if self.on_error == 'raise':
                raise OSError(f'Cannot load image {filename}: {e}') from e
            if self.report_file is not None:
                # One short append is atomic across processes (O_APPEND).
                with open(self.report_file, 'a') as f:
                    f.write(f'{filename}\t{e}\n')
            elif filename not in self._reported:
                self._reported.add(filename)
                MMLogger.get_current_instance().warning(
                    f'Skipping unreadable image {filename}: {e}')
            return None
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results

    def __repr__(self) -> str:
        return (f'{super().__repr__()[:-1]}, '
                f'check_truncated={self.check_truncated}, '
                f'on_error={self.on_error!r}, min_size={self.min_size})')
