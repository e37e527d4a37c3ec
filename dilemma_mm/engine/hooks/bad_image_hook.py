"""Name, count and bound the images training skipped as unreadable."""
import os.path as osp
from typing import Dict, List

from mmengine.dist import get_rank
from mmengine.hooks import Hook

from dilemma_mm.registry import HOOKS


class TooManyBadImagesError(RuntimeError):
    """More of an epoch's images were unreadable than the hook allows."""


def _safe_loaders(dataset) -> list:
    """The ``LoadImageFromFileSafe`` transforms of a dataset's pipeline,
    through dataset wrappers (``dataset.dataset``/``datasets``)."""
    from dilemma_mm.datasets import LoadImageFromFileSafe
    found = []
    for transform in getattr(
            getattr(dataset, 'pipeline', None), 'transforms', []):
        if isinstance(transform, LoadImageFromFileSafe):
            found.append(transform)
    for inner in [getattr(dataset, 'dataset', None)] + list(
            getattr(dataset, 'datasets', [])):
        if inner is not None:
            found += _safe_loaders(inner)
    return found


@HOOKS.register_module()
class BadImageHook(Hook):
    """Report the images that ``LoadImageFromFileSafe`` skipped in training.

    Before training the hook points the train pipeline's
    :class:`~dilemma_mm.datasets.LoadImageFromFileSafe` at
    ``<log_dir>/bad_images_rank<r>.tsv``; data-loading workers append every
    skip there (mmengine's dataset then draws another image). After each
    iteration the hook names each new bad file once in the log; after each
    epoch it logs the count. When an epoch's skips exceed ``max_fraction``
    of the samples this process loads per epoch, it stops the run with an
    error listing the files: that many bad files means a broken copy of
    the data set, not a few dead downloads. Without the safe loader in the
    train pipeline the hook does nothing.

    Args:
        max_fraction (float): The largest tolerated share of skipped loads
            per epoch. Defaults to 0.01 (1 %).
    """

    priority = 'VERY_LOW'

    def __init__(self, max_fraction: float = 0.01) -> None:
        if not 0 <= max_fraction <= 1:
            raise ValueError(
                f'max_fraction must be in [0, 1], got {max_fraction}')
        self.max_fraction = max_fraction
        self.report_file = None
        self._offset = 0
        self._epoch_skips: List[str] = []
        self._named: Dict[str, str] = {}

    def before_train(self, runner) -> None:
        loaders = _safe_loaders(runner.train_dataloader.dataset)
        if not loaders:
            return
        self.report_file = osp.join(runner.log_dir,
                                    f'bad_images_rank{get_rank()}.tsv')
        open(self.report_file, 'a').close()
        self._offset = osp.getsize(self.report_file)
        for loader in loaders:  # before any worker process is started
            loader.report_file = self.report_file
        sampler = runner.train_dataloader.sampler
        self._samples_per_epoch = len(sampler) if hasattr(
            sampler, '__len__') else len(runner.train_dataloader.dataset)

    def _read_new(self, runner) -> None:
        if self.report_file is None or osp.getsize(
                self.report_file) == self._offset:
            return
        with open(self.report_file) as f:
            f.seek(self._offset)
            text = f.read()
        # A worker may be mid-line; keep the partial line for next time.
        complete = text[:text.rfind('\n') + 1]
        self._offset += len(complete.encode())
        for line in complete.splitlines():
            path, _, reason = line.partition('\t')
            self._epoch_skips.append(path)
            if path not in self._named:
                self._named[path] = reason
                runner.logger.warning(
                    f'Skipping unreadable image {path}: {reason}')
        self._check(runner)

    def _check(self, runner) -> None:
        allowed = self.max_fraction * self._samples_per_epoch
        if len(self._epoch_skips) <= allowed:
            return
        files = sorted(set(self._epoch_skips))
        listing = '\n'.join(f'  {p}: {self._named[p]}' for p in files)
        raise TooManyBadImagesError(
            f'{len(self._epoch_skips)} image loads failed in epoch '
            f'{runner.epoch + 1}, more than {self.max_fraction:.1%} of its '
            f'{self._samples_per_epoch} samples (BadImageHook.max_fraction)'
            f'; the data set copy looks broken. Files (also in '
            f'{self.report_file}):\n{listing}')

    def after_train_iter(self, runner, *args, **kwargs) -> None:
        self._read_new(runner)

    def after_train_epoch(self, runner) -> None:
        if self.report_file is None:
            return
        self._read_new(runner)
        if self._epoch_skips:
            runner.logger.warning(
                f'Epoch {runner.epoch + 1}: skipped {len(self._epoch_skips)} '
                f'unreadable image loads ({len(set(self._epoch_skips))} '
                f'files) of {self._samples_per_epoch}; listed in '
                f'{self.report_file}')
        self._epoch_skips = []
