"""The compatibility fixes of dilemma_mm.utils.compat, each against the
breakage it repairs."""
import os
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import MessageHub

import dilemma_mm  # noqa: F401  (applies the fixes)
from dilemma_mm.utils import compat


class RunsCode:
    """A pickle payload that would create a file when unpickled."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


def test_malicious_checkpoint_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'meta': RunsCode(str(marker))}, path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, map_location='cpu')  # weights_only by default
    from mmengine.runner import load_checkpoint
    with pytest.raises(pickle.UnpicklingError):
        load_checkpoint(torch.nn.Linear(2, 2), str(path))
    assert not marker.exists()


def test_getattr_is_only_allowed_for_history_buffer_statistics(tmp_path):

    class ReachesTofile:

        def __reduce__(self):
            return (getattr, (np.ndarray, 'tofile'))

    path = tmp_path / 'getattr.pth'
    torch.save({'x': ReachesTofile()}, path)
    with pytest.raises(pickle.UnpicklingError, match='refusing getattr'):
        torch.load(path)


def test_mmengine_message_hub_round_trips_with_weights_only(tmp_path):
    hub = MessageHub.get_instance('compat-test')
    hub.update_scalar('train/loss', 1.5)
    hub.update_scalar('train/loss', np.float64(0.5))
    hub.update_info('iter', 7)
    path = tmp_path / 'ckpt.pth'
    torch.save(
        {
            'message_hub': hub.state_dict(),
            'meta': {
                'seed': np.int64(3),
                'arr': np.arange(3.)
            }
        }, path)
    loaded = torch.load(path, weights_only=True)
    buffer = loaded['message_hub']['log_scalars']['train/loss']
    assert buffer.mean() == pytest.approx(1.0)
    assert loaded['message_hub']['runtime_info']['iter'] == 7
    assert loaded['meta']['seed'] == 3
    np.testing.assert_array_equal(loaded['meta']['arr'], np.arange(3.))


def reference_hue_shift(img: np.ndarray, hue_factor: float) -> np.ndarray:
    """NumPy-1 semantics of mmcv's adjust_hue, computed with Python ints."""
    import cv2
    hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV_FULL).astype(np.int64)
    hsv[..., 0] = (hsv[..., 0] + int(hue_factor * 255)) % 256
    return cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2BGR_FULL)


@pytest.mark.parametrize('hue_factor', [-0.5, -0.075, 0.0, 0.1, 0.5])
def test_adjust_hue_matches_numpy1_semantics(hue_factor):
    import mmcv
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (16, 16, 3), np.uint8)
    out = mmcv.adjust_hue(img, hue_factor)
    np.testing.assert_array_equal(out, reference_hue_shift(img, hue_factor))
    pil_out = mmcv.adjust_hue(img, hue_factor, backend='pillow')
    assert pil_out.shape == img.shape and pil_out.dtype == np.uint8


def test_mmpretrain_color_jitter_with_negative_hue_runs():
    from mmpretrain.datasets.transforms import ColorJitter
    transform = ColorJitter(hue=0.4)
    img = np.random.default_rng(1).integers(0, 256, (8, 8, 3), np.uint8)
    for _ in range(20):  # draws negative factors too
        assert transform({'img': img.copy()})['img'].shape == (8, 8, 3)


def test_collate_fn_scope_from_mmpretrain_config_is_resolved():
    from mmengine.runner import Runner
    dataset = [dict(inputs=torch.ones(2), label=1)] * 4
    loader = Runner.build_dataloader(
        dict(
            batch_size=2,
            dataset=dataset,
            sampler=dict(type='DefaultSampler', shuffle=False),
            collate_fn=dict(type='default_collate', _scope_='mmpretrain')))
    batch = next(iter(loader))
    assert batch['inputs'].shape == (2, 2)
    # Without the fix, mmengine hands _scope_ to default_collate.
    unpatched = Runner.build_dataloader.__wrapped__(
        dict(
            batch_size=2,
            dataset=dataset,
            sampler=dict(type='DefaultSampler', shuffle=False),
            collate_fn=dict(type='default_collate', _scope_='mmpretrain')))
    with pytest.raises(TypeError, match='_scope_'):
        next(iter(unpatched))


def test_editable_install_configs_resolve():
    from mmengine.utils import get_installed_path
    package_dir = get_installed_path('dilemma_mm')
    assert os.path.isfile(os.path.join(package_dir, '__init__.py'))
    assert os.path.isdir(os.path.join(package_dir, '.mim', 'configs'))


def test_atomic_put_keeps_old_file_when_write_fails(tmp_path, monkeypatch):
    from mmengine.fileio.backends import LocalBackend
    target = tmp_path / 'epoch_1.pth'
    LocalBackend().put(b'good checkpoint', target)
    umask = os.umask(0)
    os.umask(umask)
    # a normal file, not mkstemp's private 0600 one
    assert os.stat(target).st_mode & 0o777 == 0o666 & ~umask

    def fail_fsync(fd):
        raise KeyboardInterrupt  # as if the process were stopped mid-save

    monkeypatch.setattr(os, 'fsync', fail_fsync)
    with pytest.raises(KeyboardInterrupt):
        LocalBackend().put(b'half a new one', target)
    assert target.read_bytes() == b'good checkpoint'
    assert os.listdir(tmp_path) == ['epoch_1.pth']  # no temporary left


def test_patches_are_idempotent():
    from mmengine.runner import Runner
    before = Runner.build_dataloader
    compat._APPLIED = False
    compat.apply_compat_patches()
    assert Runner.build_dataloader is before
