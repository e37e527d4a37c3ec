"""Training steps without host-device syncs, keep/pos collated once and
checked against their grid on the host, merged backbone passes with the
losses of per-view passes, the fused EMA, and torch.compile."""
import contextlib
import copy
import pickle

import numpy as np
import pytest
import torch
import torch.nn as nn
from conftest import load_tool
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmpretrain.models.utils import CosineEMA
from test_dilemma_mae import batch as mae_batch
from test_dilemma_mae import mae_cfg
from test_dilemma_mocov3 import _batch as mocov3_batch
from test_dilemma_mocov3 import _mocov3_cfg
from test_dilemma_simclr import batch as simclr_batch
from test_dilemma_simclr import simclr_cfg
from test_dino import batch as dino_batch
from test_dino import dino_cfg
from tiny_models import ARCH, build
from torch.utils._python_dispatch import TorchDispatchMode

from dilemma_mm.datasets.transforms import GridIndices
from dilemma_mm.models.algorithms import collate_token_layouts
from dilemma_mm.models.utils import ForeachCosineEMA

# aten ops that read a tensor back to the host (a sync on a GPU): scalar
# reads (bool(), item(), int(), float()) and data-dependent output sizes
SYNCING_OPS = ('_local_scalar_dense', 'nonzero', 'masked_select', 'unique')
# Python-level reads that would copy to the host on a GPU
SYNCING_METHODS = ('__bool__', 'item', 'tolist', 'cpu', 'numpy')


class SyncCounter(TorchDispatchMode):
    """Counts the calls that would sync a GPU, by name."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = {}

    def count(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        name = func.overloadpacket.__name__
        if name in SYNCING_OPS:
            self.count(f'aten.{name}')
        if name == 'index' and any(
                isinstance(i, torch.Tensor) and i.dtype == torch.bool
                for i in args[1]):
            self.count('aten.index (boolean mask)')
        return func(*args, **(kwargs or {}))

    @contextlib.contextmanager
    def methods(self, monkeypatch):
        for name in SYNCING_METHODS:
            original = getattr(torch.Tensor, name)

            def counted(tensor, *args, _name=name, _original=original):
                self.count(f'Tensor.{_name}')
                return _original(tensor, *args)

            monkeypatch.setattr(torch.Tensor, name, counted)
        with self:
            yield self


ALGORITHMS = {
    'mocov3': (lambda: _mocov3_cfg(), lambda: mocov3_batch()),
    'dino': (lambda: dino_cfg('DilemmaDINO', 'DilemmaViT'), dino_batch),
    'simclr': (simclr_cfg, simclr_batch),
    'mae': (mae_cfg, mae_batch),
}


@pytest.mark.parametrize('algorithm', sorted(ALGORITHMS))
def test_train_step_has_no_host_sync(algorithm, monkeypatch):
    """A whole train_step (data preprocessing, forward, losses, backward,
    optimizer, EMA) reads nothing back to the host; the log values it
    returns are read afterwards, by the logger.

    The optimizer is the fused AdamW: the for-loop and foreach ones call
    ``.item()`` on their step counts, which PyTorch keeps on the host (no
    sync on a GPU, but the counter cannot tell them apart on a CPU).
    """
    cfg, make = ALGORITHMS[algorithm]
    model = build(cfg())
    data = make()
    optim_wrapper = OptimWrapper(
        torch.optim.AdamW(model.parameters(), fused=True))
    model.train_step(copy.deepcopy(data), optim_wrapper)  # first: EMA copy
    counter = SyncCounter()
    with counter.methods(monkeypatch):
        log_vars = model.train_step(data, optim_wrapper)
    assert counter.calls == {}
    assert torch.isfinite(log_vars['loss'])


def test_sync_counter_counts():
    """The counter above sees what it looks for."""
    counter = SyncCounter()
    x = torch.arange(4)
    with pytest.MonkeyPatch.context() as monkeypatch:
        with counter.methods(monkeypatch):
            if x.max() > 2:
                x[x > 1].sum().item()
    assert counter.calls == {
        'Tensor.__bool__': 1,
        'Tensor.item': 1,
        'aten._local_scalar_dense': 2,
        'aten.index (boolean mask)': 1
    }


def test_keep_pos_collated_once_in_one_transfer():
    model = build(dino_cfg('DilemmaDINO', 'DilemmaViT'))
    data = model.data_preprocessor(dino_batch(), True)
    layouts = collate_token_layouts(data['data_samples'], data['inputs'],
                                    model.backbone)
    assert len(layouts) == 5  # 2 global + 3 local crops
    # half of a 4x4 grid for the global crops, of a 2x2 one for the local
    assert [layout.pos.shape
            for layout in layouts] == [(4, 8)] * 2 + [(4, 2)] * 3
    storage = {layout.keep.untyped_storage().data_ptr() for layout in layouts}
    storage |= {layout.pos.untyped_storage().data_ptr() for layout in layouts}
    assert len(storage) == 1  # views of one buffer
    for view, layout in enumerate(layouts):
        assert layout.keep.dtype == torch.long and layout.keep.shape[0] == 4
        expected = np.stack([s.pos[view] for s in data['data_samples']])
        np.testing.assert_array_equal(layout.pos.numpy(), expected)


def test_grid_survives_pickling_and_packing():
    keep = GridIndices([0, 3, 5], (2, 4))
    copied = pickle.loads(pickle.dumps(keep))
    assert copied.grid == (2, 4) and copied[1:].grid == (2, 4)
    np.testing.assert_array_equal(copied, [0, 3, 5])
    sample = mocov3_batch()['data_samples'][0]
    assert [k.grid for k in sample.keep] == [(4, 4)] * 2


def _grid_mismatch_batch(patch_size: int) -> dict:
    """32 px views with keep/pos drawn for patches of ``patch_size``."""
    data = mocov3_batch()
    for sample in data['data_samples']:
        grid = (32 // patch_size, 32 // patch_size)
        cells = grid[0] * grid[1]
        keep = [GridIndices(np.arange(cells // 2), grid)] * 2
        sample.set_data(dict(keep=keep, pos=keep))
    return data


@pytest.mark.parametrize('backbone_patch,pipeline_patch', [(8, 16), (7, 8)])
def test_grid_mismatch_refused_before_the_first_update(backbone_patch,
                                                       pipeline_patch):
    cfg = _mocov3_cfg()
    cfg['backbone']['patch_size'] = backbone_patch
    model = build(cfg)
    before = copy.deepcopy(model.state_dict())
    optim_wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=1))
    grid = 32 // pipeline_patch
    backbone_grid = -(-32 // backbone_patch)  # padded to whole patches
    message = (f'drawn for a {grid}x{grid} patch grid.*into a '
               f'{backbone_grid}x{backbone_grid} grid')
    with pytest.raises(ValueError, match=message):
        model.train_step(_grid_mismatch_batch(pipeline_patch), optim_wrapper)
    for name, value in model.state_dict().items():
        torch.testing.assert_close(value, before[name], msg=name)


def test_out_of_grid_indices_refused_on_the_host():
    data = mocov3_batch()
    bad = GridIndices(data['data_samples'][0].keep[1] + 16, (4, 4))
    data['data_samples'][0].keep[1] = bad
    with pytest.raises(IndexError, match='View 1: `keep`.*4x4'):
        collate_token_layouts(data['data_samples'], data['inputs'],
                              build(_mocov3_cfg()).backbone)


@pytest.mark.parametrize(
    'key,change,error,match',
    [
        ('keep', lambda i, a: np.stack([a, a]), ValueError,
         r'View 0: `keep` must be one array of shape \(K, \) per sample'),
        ('keep', lambda i, a: a + 16, IndexError,
         r'View 0: `keep` holds indices outside its 4x4 patch grid \[0, 16\)'),
        ('keep', lambda i, a: a - 16, IndexError, 'View 0: `keep`.*outside'),
        ('pos', lambda i, a: a + 16, IndexError, 'View 0: `pos`.*outside'),
        ('pos', lambda i, a: a[:4], ValueError,
         r'View 0: `keep` \(4, 8\) and `pos` \(4, 4\) must have the same '
         'shape'),
        ('keep', lambda i, a: a[:4] if i == 0 else a, ValueError,
         r'the same K in every sample, got shapes \[\(4,\), \(8,\)\]'),
        ('keep', lambda i, a: a.astype(np.float32), TypeError,
         'View 0: `keep` must hold integer grid indices, got float32'),
        ('keep', lambda i, a: np.asarray(a) + 16, IndexError,
         'View 0: `keep`.*outside'),  # a plain array, without its grid
    ])
def test_bad_indices_refused_on_the_host(key, change, error, match):
    """What a pipeline that writes bad ``keep``/``pos`` gets from a train
    step: the view, the key and what is wrong, before the first update.
    ``change(i, array)`` spoils view 0 of sample ``i``."""
    data = mocov3_batch()
    for index, sample in enumerate(data['data_samples']):
        arrays = list(sample.get(key))
        arrays[0] = change(index, arrays[0])
        sample.set_field(arrays, key)
    model = build(_mocov3_cfg())
    before = copy.deepcopy(model.state_dict())
    optim_wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=1))
    with pytest.raises(error, match=match):
        model.train_step(data, optim_wrapper)
    for name, value in model.state_dict().items():
        torch.testing.assert_close(value, before[name], msg=name)


def _mocov3_per_view_losses(model, data):
    """DilemmaMoCoV3's losses as computed before views shared passes:
    one online and one momentum backbone pass per view."""
    inputs, samples = data['inputs'], data['data_samples']
    feats, corrupted = zip(*(model.forward_corrupted(view, samples, i)
                             for i, view in enumerate(inputs)))
    q1, q2 = (model.neck(feat)[0] for feat in feats)
    with torch.no_grad():
        model.momentum_encoder.update_parameters(
            nn.Sequential(model.backbone, model.neck))
        k1, k2 = (model.momentum_encoder(view)[0] for view in inputs)
    losses = dict(
        loss_mocov3=model.head.loss(q1, k2) + model.head.loss(q2, k1))
    losses.update(model.misplacement_loss(list(corrupted)))
    return losses


def test_merged_passes_keep_the_losses():
    """Same weights and inputs: the merged passes give the per-view
    losses, at the first step (EMA copy) and the second (EMA average)."""
    merged, per_view = build(_mocov3_cfg()), build(_mocov3_cfg())
    per_view.load_state_dict(merged.state_dict())
    for step in range(2):
        data = merged.data_preprocessor(mocov3_batch(), True)
        expected = _mocov3_per_view_losses(per_view, data)
        losses = merged(**data, mode='loss')
        assert set(losses) == set(expected)
        for key in expected:
            torch.testing.assert_close(losses[key], expected[key], msg=key)
        torch.testing.assert_close(merged.state_dict(), per_view.state_dict())


def test_dilemma_alone_merges_views_of_one_size():
    cfg = dict(
        type='DILEMMA',
        backbone=dict(type='DilemmaViT', arch=ARCH, img_size=32, patch_size=8))
    model = build(cfg)
    passes = []
    model.backbone.layers[0].register_forward_pre_hook(
        lambda module, args: passes.append(args[0].shape[:2]))
    data = model.data_preprocessor(mocov3_batch(num_views=3), True)
    losses = model(**data, mode='loss')
    assert passes == [(3 * 4, 1 + 8)]  # one pass, 3 views x 4 samples
    expected = model.misplacement_loss([
        model.forward_corrupted(view, data['data_samples'], i)[1]
        for i, view in enumerate(data['inputs'])
    ])
    torch.testing.assert_close(losses, expected)


def test_foreach_ema_is_cosine_ema(monkeypatch):
    """Same average as mmpretrain's CosineEMA, no sync, and a loaded
    checkpoint's step count reaches the host counter."""
    torch.manual_seed(0)
    source = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    reference = CosineEMA(source, momentum=0.2)
    fused = ForeachCosineEMA(source, momentum=0.2)
    for _ in range(3):
        with torch.no_grad():
            for param in source.parameters():
                param.add_(torch.randn_like(param))
            source[1].running_mean.add_(1)
        reference.update_parameters(source)
        counter = SyncCounter()
        with counter.methods(monkeypatch):
            fused.update_parameters(source)
        monkeypatch.undo()
        assert counter.calls == {}
        torch.testing.assert_close(fused.state_dict(), reference.state_dict())
    restored = ForeachCosineEMA(source, momentum=0.2)
    restored.load_state_dict(fused.state_dict())
    assert restored.host_steps == 3


def test_compiled_train_step_gives_the_same_losses():
    """mmengine's `compile` wraps train_step in torch.compile: with static
    K per view size it traces the sparse model and keeps the losses."""
    torch._dynamo.reset()
    eager, compiled = build(_mocov3_cfg()), build(_mocov3_cfg())
    compiled.load_state_dict(eager.state_dict())
    step = torch.compile(compiled.train_step, backend='aot_eager')
    for model, train_step in ((eager, eager.train_step), (compiled, step)):
        optim_wrapper = OptimWrapper(
            torch.optim.SGD(model.parameters(), lr=0.1))
        model.log_vars = [
            train_step(mocov3_batch(), optim_wrapper) for _ in range(2)
        ]
    for expected, log_vars in zip(eager.log_vars, compiled.log_vars):
        torch.testing.assert_close(log_vars, expected)


def test_train_tool_compile_flag():
    train = load_tool('tools/train.py')
    for argv, expected in ((['x.py'], None), (['x.py', '--compile'], True)):
        cfg = train.merge_args(Config(dict()), train.parse_args(argv))
        assert cfg.get('compile') == expected
    cfg = Config(dict(compile=dict(backend='aot_eager')))
    cfg = train.merge_args(cfg, train.parse_args(['x.py', '--compile']))
    assert cfg.compile == dict(backend='aot_eager')  # the config's options
