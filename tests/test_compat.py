"""The compatibility fixes of dilemma_mm.compat, each against the
breakage it repairs."""
import os
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import MessageHub

import dilemma_mm  # noqa: F401  (applies the fixes)
from dilemma_mm import compat


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


# Pure red (BGR) turned a third of the hue circle either way, and half.
HUE_CASES = [
    (0.0, (0, 0, 255)),  # unchanged
    (1 / 3, (0, 255, 0)),  # red -> green
    (-1 / 3, (255, 0, 0)),  # red -> blue: a negative shift wraps around
    (0.5, (255, 255, 0)),  # cyan, the opposite hue
    (-0.5, (255, 255, 0)),
]


@pytest.mark.parametrize('hue_factor,expected_bgr', HUE_CASES)
@pytest.mark.parametrize('backend', ['cv2', 'pillow'])
def test_adjust_hue_turns_red_to_known_colours(hue_factor, expected_bgr,
                                               backend):
    import mmcv
    red = np.zeros((2, 2, 3), np.uint8)
    red[..., 2] = 255
    out = mmcv.adjust_hue(red, hue_factor, backend=backend)
    assert out.shape == red.shape and out.dtype == np.uint8
    # The HSV hue has 256 steps, so a turn is exact to a few levels.
    np.testing.assert_allclose(
        out.reshape(-1, 3).astype(int), np.tile(expected_bgr, (4, 1)), atol=10)


def test_mmpretrain_color_jitter_with_negative_hue_runs():
    from mmpretrain.datasets.transforms import ColorJitter
    transform = ColorJitter(hue=0.4)
    img = np.random.default_rng(1).integers(0, 256, (8, 8, 3), np.uint8)
    for _ in range(20):  # draws negative factors too
        assert transform({'img': img.copy()})['img'].shape == (8, 8, 3)


def test_editable_install_configs_resolve():
    from mmengine.utils import get_installed_path
    package_dir = get_installed_path('dilemma_mm')
    assert os.path.isfile(os.path.join(package_dir, '__init__.py'))
    assert os.path.isdir(os.path.join(package_dir, '.mim', 'configs'))


def test_atomic_checkpoint_keeps_old_file_when_write_fails(
        tmp_path, monkeypatch):
    from mmengine.runner import runner as runner_module
    target = tmp_path / 'epoch_1.pth'
    runner_module.save_checkpoint({'w': torch.ones(1)}, str(target))
    good = target.read_bytes()
    umask = os.umask(0)
    os.umask(umask)
    # a normal file, not mkstemp's private 0600 one
    assert os.stat(target).st_mode & 0o777 == 0o666 & ~umask

    def fail_fsync(fd):
        raise KeyboardInterrupt  # as if the process were stopped mid-save

    monkeypatch.setattr(os, 'fsync', fail_fsync)
    with pytest.raises(KeyboardInterrupt):
        runner_module.save_checkpoint({'w': torch.zeros(9)}, str(target))
    assert target.read_bytes() == good
    assert os.listdir(tmp_path) == ['epoch_1.pth']  # no temporary left


def test_other_files_are_written_as_mmengine_writes_them(tmp_path):
    import mmengine
    from mmengine.fileio.backends import LocalBackend
    assert LocalBackend.put.__module__.startswith('mmengine.')
    mmengine.dump({'a': 1}, str(tmp_path / 'x.pkl'))
    assert os.listdir(tmp_path) == ['x.pkl']


def test_remote_checkpoints_go_to_mmengine(tmp_path):
    calls = []
    save = compat.atomic_save_checkpoint(lambda *args: calls.append(args))
    save({}, 's3://bucket/epoch_1.pth')
    save({}, str(tmp_path / 'a.pth'), None, dict(backend='petrel'))
    assert [c[1] for c in calls
            ] == ['s3://bucket/epoch_1.pth',
                  str(tmp_path / 'a.pth')]
    save({'w': torch.ones(2)}, str(tmp_path / 'b.pth'))  # local: ours
    assert len(calls) == 2
    assert torch.equal(torch.load(tmp_path / 'b.pth')['w'], torch.ones(2))


def _patched_objects() -> dict:
    """What each fix replaces, by fix name, as it is now."""
    from mmcv.image import photometric
    from mmengine.dist import utils as dist_utils
    from mmengine.hooks import checkpoint_hook
    from mmengine.model.wrappers import distributed as ddp_module
    from mmengine.runner import runner as runner_module
    from mmengine.utils import package_utils
    from mmpretrain.apis.model import ModelHub
    return dict(
        checkpoint_globals=list(torch.serialization.get_safe_globals()),
        pkg_configs=package_utils.get_installed_path,
        adjust_hue=photometric.adjust_hue,
        cpu_distributed=(dist_utils._init_dist_pytorch,
                         ddp_module.MMDistributedDataParallel.__init__),
        atomic_checkpoints=(runner_module.save_checkpoint,
                            checkpoint_hook.open),
        model_hub=ModelHub.get)


def test_patches_are_idempotent(monkeypatch):
    """Applied again, no fix wraps its target a second time."""
    before = _patched_objects()
    assert set(before) == set(compat.FIXES)  # a new fix needs a line above
    monkeypatch.setattr(compat, '_APPLIED', False)
    monkeypatch.setattr(compat, 'APPLIED_FIXES', [])
    compat.apply_compat_patches()
    after = _patched_objects()
    for name in compat.FIXES:
        if name == 'checkpoint_globals':  # a list: compare its entries
            assert len(after[name]) == len(before[name]), name
        else:
            assert after[name] == before[name], name


# Each fix where the original works: the probe says so, and nothing changes.


def test_fixes_in_effect_match_the_probes():
    from packaging.version import Version
    assert compat.numpy_rejects_negative_uint8() == (np.__version__ >= '2')
    torch_refuses = Version(torch.__version__.split('+')[0]) >= Version('2.6')
    # this stack: torch >= 2.6, NumPy 2, no GPU, an editable install
    applied = set(compat.APPLIED_FIXES)
    assert ('checkpoint_globals' in applied) == torch_refuses
    assert ('adjust_hue' in applied) == compat.numpy_rejects_negative_uint8()
    assert ('pkg_configs'
            in applied) == bool(compat.editable_install_dir()
                                or compat.pkg_resources_missing())
    assert {'cpu_distributed', 'atomic_checkpoints', 'model_hub'} <= applied
    patched = _patched_objects()
    assert (patched['adjust_hue'] is compat.adjust_hue) == ('adjust_hue'
                                                            in applied)
    for name in ('pkg_configs', 'model_hub'):
        assert getattr(patched[name], '_dilemma_mm_patched',
                       False) == (name in applied), name
    # the module docstring tables every fix
    for name in compat.FIXES:
        assert f'\n{name} ' in compat.__doc__, name


def test_checkpoint_globals_untouched_where_torch_loads_them(monkeypatch):
    monkeypatch.setattr(compat, 'torch_load_refuses_mmengine_checkpoints',
                        lambda: False)
    before = list(torch.serialization.get_safe_globals())
    assert compat._allow_mmengine_checkpoints() is False
    assert torch.serialization.get_safe_globals() == before


def test_pkg_configs_untouched_for_a_regular_install(monkeypatch):
    from mmengine.utils import package_utils
    original = package_utils.get_installed_path.__wrapped__
    monkeypatch.setattr(package_utils, 'get_installed_path', original)
    monkeypatch.setattr(compat, 'editable_install_dir', lambda: '')
    monkeypatch.setattr(compat, 'pkg_resources_missing', lambda: False)
    assert compat._fix_pkg_configs() is False
    assert package_utils.get_installed_path is original


def test_missing_pkg_resources_fails_only_for_pkg_configs(monkeypatch):
    import sys

    from mmengine.utils import package_utils
    original = package_utils.get_installed_path.__wrapped__
    for module in ('mmengine.utils', 'mmengine.config.config'):
        monkeypatch.setattr(f'{module}.get_installed_path', original)
    monkeypatch.setattr(package_utils, 'get_installed_path', original)
    monkeypatch.setitem(sys.modules, 'pkg_resources', None)
    monkeypatch.setattr(compat, 'pkg_resources_missing', lambda: True)
    assert compat._fix_pkg_configs() is True  # importing does not fail
    with pytest.raises(ModuleNotFoundError, match='setuptools<82'):
        package_utils.get_installed_path('mmpretrain')


def test_adjust_hue_untouched_on_numpy1(monkeypatch):
    import mmcv
    from mmcv.image import photometric
    sentinel = object()
    for module in (mmcv, mmcv.image, photometric):
        monkeypatch.setattr(module, 'adjust_hue', sentinel)
    monkeypatch.setattr(compat, 'numpy_rejects_negative_uint8', lambda: False)
    assert compat._fix_adjust_hue() is False
    assert photometric.adjust_hue is sentinel and mmcv.adjust_hue is sentinel


@pytest.mark.parametrize('backend,init_backend,accelerator', [
    ('nccl', 'torch', True),
    ('gloo', 'torch', True),
    ('mpi', 'torch', False),
    ('nccl', 'deepspeed', False),
])
def test_distributed_init_untouched_where_it_runs(monkeypatch, backend,
                                                  init_backend, accelerator):
    calls, groups = [], []
    monkeypatch.setattr(compat, 'no_accelerator', lambda: not accelerator)
    monkeypatch.setattr(torch.distributed, 'init_process_group',
                        lambda **kw: groups.append(kw))
    init = compat.init_dist_without_accelerator(
        lambda *args, **kwargs: calls.append(args))
    init(backend, init_backend)
    assert calls == [(backend, init_backend)] and groups == []


def test_nccl_without_any_accelerator_runs_gloo(monkeypatch):
    calls, groups = [], []
    monkeypatch.setattr(compat, 'no_accelerator', lambda: True)
    monkeypatch.setattr(torch.distributed, 'init_process_group',
                        lambda **kw: groups.append(kw))
    init = compat.init_dist_without_accelerator(
        lambda *args, **kwargs: calls.append(args))
    with pytest.warns(UserWarning, match='gloo'):
        init('nccl', 'torch', timeout=5)
    assert calls == [] and groups == [dict(backend='gloo', timeout=5)]


def test_fixes_can_be_turned_off(monkeypatch):
    monkeypatch.setenv(compat.COMPAT_OFF_ENV, 'adjust_hue, atomic_checkpoints')
    assert not compat.fix_enabled('adjust_hue')
    assert not compat.fix_enabled('atomic_checkpoints')
    assert compat.fix_enabled('checkpoint_globals')
    monkeypatch.setenv(compat.COMPAT_OFF_ENV, 'all')
    assert not any(compat.fix_enabled(name) for name in compat.FIXES)


class _StubHub:
    """mmpretrain's ``ModelHub.get`` where it knows ``resnet18`` only."""
    found = object()

    def __call__(self, name):
        if name == 'resnet18':
            return self.found
        raise ValueError(f'Failed to find model "{name}"')


def test_model_hub_untouched_for_names_mmpretrain_knows():
    """Where mmpretrain's lookup answers, its answer (or its error for a
    name neither index has) is what the patched lookup gives."""
    stub = _StubHub()
    get = compat.model_hub_get(stub)
    assert get('resnet18') is stub.found
    with pytest.raises(ValueError, match='Failed to find model "nope"'):
        get('nope')
    ours = get('dilemma-mocov3_vit-small-p16_16xb256-amp-coslr-300e_in1k')
    assert ours.config.model.type.endswith('DilemmaMoCoV3')
    assert ours.config.model._scope_ == 'dilemma_mm'


def test_model_hub_off_leaves_mmpretrain_alone(monkeypatch):
    from mmpretrain.apis.model import ModelHub
    original = ModelHub.get.__wrapped__
    for off, patched in (('model_hub', False), ('adjust_hue', True)):
        monkeypatch.setattr(ModelHub, 'get', original)
        monkeypatch.setattr(compat, '_APPLIED', False)
        monkeypatch.setattr(compat, 'APPLIED_FIXES', [])
        monkeypatch.setenv(compat.COMPAT_OFF_ENV, off)
        assert ('model_hub' in compat.apply_compat_patches()) == patched
        assert (ModelHub.get is not original) == patched
