import argparse
import copy
import importlib.util
import os.path as osp

import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from mmengine.dataset import default_collate
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope

from dilemma_mm.models.algorithms import (DILEMMA, DilemmaMoCoV3,
                                          collate_token_layouts)
from dilemma_mm.registry import MODELS

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DIMS = 32
ARCH = dict(
    embed_dims=DIMS, num_layers=2, num_heads=2, feedforward_channels=64)
GRID = 16  # 32 px images, patch 8


def _neck(in_channels: int) -> dict:
    return dict(
        type='NonLinearNeck',
        in_channels=in_channels,
        hid_channels=64,
        out_channels=16,
        num_layers=2,
        with_bias=False,
        with_last_bn=True,
        with_last_bn_affine=False,
        with_last_bias=False,
        with_avg_pool=False)


def _mocov3_cfg(backbone_type='DilemmaViT', **kwargs) -> dict:
    cfg = dict(
        type='DilemmaMoCoV3',
        backbone=dict(
            type=backbone_type, arch=ARCH, img_size=32, patch_size=8),
        neck=_neck(DIMS),
        head=dict(
            type='MoCoV3Head',
            predictor=_neck(16),
            loss=dict(type='CrossEntropyLoss', loss_weight=0.4),
            temperature=0.2),
        misplacement_head=dict(type='MisplacementHead'))
    cfg.update(kwargs)
    return cfg


def _build(cfg: dict):
    init_default_scope('dilemma_mm')
    MessageHub.get_current_instance().update_info('max_iters', 100)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def _batch(drop_ratio=0.5,
           misplace_prob=0.25,
           num_views=2,
           batch_size=4,
           keys=('keep', 'pos')) -> dict:
    """A collated batch from the real pipeline on random 32 px images."""
    np.random.seed(0)
    views = dict(
        type='MultiView',
        num_views=num_views,
        transforms=[[dict(type='RandomFlip', prob=0.5)]])
    pipeline = Compose([
        views,
        dict(
            type='TokenDropTransform',
            drop_ratio=drop_ratio,
            misplace_prob=misplace_prob,
            patch_size=8),
        dict(type='PackInputs', algorithm_keys=list(keys)),
    ])
    images = np.random.randint(0, 256, (batch_size, 32, 32, 3), np.uint8)
    return default_collate([pipeline(dict(img=img)) for img in images])


def test_keep_pos_reach_the_model_batched():
    model = _build(_mocov3_cfg())
    data = model.data_preprocessor(_batch(), True)
    samples = data['data_samples']
    layouts = collate_token_layouts(samples, data['inputs'], model.backbone)
    for view, (keep, pos) in enumerate(layouts):
        assert keep.dtype == pos.dtype == torch.long
        assert keep.shape == pos.shape == (4, 8)
        expected = np.stack([s.keep[view] for s in samples])
        np.testing.assert_array_equal(keep.numpy(), expected)
        expected = np.stack([s.pos[view] for s in samples])
        np.testing.assert_array_equal(pos.numpy(), expected)
    assert collate_token_layouts(samples[:0], data['inputs'],
                                 model.backbone) is None


def test_loss_keys_and_one_finite_optimizer_step():
    model = _build(_mocov3_cfg())
    losses = model(**model.data_preprocessor(_batch(), True), mode='loss')
    assert set(losses) == {
        'loss_mocov3', 'loss_dilemma', 'acc_dilemma', 'auc_dilemma',
        'ap_dilemma'
    }
    assert all(torch.isfinite(v) for v in losses.values())
    assert 0 <= losses['acc_dilemma'] <= 1

    # without weight decay, a parameter moves only if a gradient reached it
    before = copy.deepcopy(model.state_dict())
    optim_wrapper = OptimWrapper(
        torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.))
    log_vars = model.train_step(_batch(), optim_wrapper)
    assert torch.isfinite(log_vars['loss'])
    for name, param in model.named_parameters():
        assert torch.isfinite(param).all(), name
    after = model.state_dict()
    for name in ('backbone.layers.0.attn.qkv.weight', 'backbone.cls_token',
                 'neck.fc0.weight', 'misplacement_head.classifier.weight'):
        assert not torch.equal(before[name], after[name]), name


def test_momentum_encoder_sees_clean_dense_views():
    model = _build(_mocov3_cfg())
    batch = _batch()
    clean = model.data_preprocessor(batch, True)['inputs']
    momentum_backbone = model.momentum_encoder.module[0]
    calls, seq_lens = [], dict(online=[], momentum=[])

    def record_call(module, args, kwargs):
        calls.append((args, kwargs))

    def seq_len_hook(key):
        return lambda module, args: seq_lens[key].append(args[0].shape[1])

    momentum_backbone.register_forward_pre_hook(record_call, with_kwargs=True)
    momentum_backbone.layers[0].register_forward_pre_hook(
        seq_len_hook('momentum'))
    model.backbone.layers[0].register_forward_pre_hook(seq_len_hook('online'))
    model(**model.data_preprocessor(batch, True), mode='loss')

    # both views of one size in one pass per encoder
    assert len(calls) == 1
    (args, kwargs), = calls
    assert len(args) == 1 and not kwargs  # no keep / pos
    torch.testing.assert_close(args[0], torch.cat(clean), rtol=0, atol=0)
    assert seq_lens['momentum'] == [1 + GRID]  # dense
    assert seq_lens['online'] == [1 + GRID // 2]  # sparse


@pytest.mark.parametrize('keys', [('keep', 'pos'), ()])
def test_baseline_equals_mocov3(keys):
    """Nothing dropped or misplaced (or no keep/pos at all): the same loss
    as mmpretrain's MoCoV3 with the same weights, and with lambda = 0 the
    same optimizer step."""
    mocov3_cfg = _mocov3_cfg('VisionTransformer', type='MoCoV3')
    mocov3_cfg.pop('misplacement_head')
    mocov3 = _build(mocov3_cfg)
    head = dict(type='MisplacementHead', loss_weight=0.)
    dilemma = _build(_mocov3_cfg(misplacement_head=head))
    missing, unexpected = dilemma.load_state_dict(
        mocov3.state_dict(), strict=False)
    assert not unexpected
    assert all(k.startswith('misplacement_head.') for k in missing)
    batch = _batch(drop_ratio=0., misplace_prob=0., keys=keys)

    expected = mocov3(**mocov3.data_preprocessor(batch, True), mode='loss')
    seen = []
    head_loss = dilemma.misplacement_head.loss

    def record(tokens, keep, pos, **kwargs):
        seen.append((keep, pos))
        return head_loss(tokens, keep, pos, **kwargs)

    dilemma.misplacement_head.loss = record
    losses = dilemma(**dilemma.data_preprocessor(batch, True), mode='loss')
    torch.testing.assert_close(losses['loss_mocov3'], expected['loss'])
    # the branch ran on both views, every token kept in place: all negative
    (keep, pos), = seen
    torch.testing.assert_close(keep, torch.arange(GRID).expand(8, -1))
    torch.testing.assert_close(pos, keep)

    for model in (mocov3, dilemma):
        optim_wrapper = OptimWrapper(
            torch.optim.SGD(model.parameters(), lr=0.5))
        model.train_step(batch, optim_wrapper)
    params = dict(dilemma.named_parameters())
    for name, param in mocov3.named_parameters():
        torch.testing.assert_close(params[name], param, msg=name)


def test_dilemma_alone():
    cfg = dict(
        type='DILEMMA',
        backbone=dict(
            type='DilemmaViT',
            arch=ARCH,
            img_size=32,
            patch_size=8,
            pos_embed_type='sincos'),
        misplacement_head=dict(hidden_channels=16))
    model = _build(cfg)
    assert isinstance(model, DILEMMA)
    assert model.misplacement_head.classifier[0].in_features == DIMS
    optim_wrapper = OptimWrapper(torch.optim.AdamW(model.parameters()))
    for num_views in (1, 3):
        log_vars = model.train_step(_batch(num_views=num_views), optim_wrapper)
        assert set(log_vars) == {
            'loss', 'loss_dilemma', 'acc_dilemma', 'auc_dilemma', 'ap_dilemma'
        }
        assert torch.isfinite(log_vars['loss'])

    # a single image (no MultiView) gives one view; asking for more fails
    np.random.seed(0)
    pipeline = Compose([
        dict(type='TokenDropTransform', drop_ratio=0.75, patch_size=8),
        dict(type='PackInputs', algorithm_keys=['keep', 'pos'])
    ])
    batch = default_collate(
        [pipeline(dict(img=np.zeros((32, 32, 3), np.uint8)))] * 2)
    data = model.data_preprocessor(batch, True)
    assert model(**data, mode='loss')['loss_dilemma'] > 0
    with pytest.raises(IndexError, match='hold one view, not 2'):
        model([data['inputs']] * 2, data['data_samples'], mode='loss')


def test_tiny_run_beats_all_negative_rate():
    """A few hundred steps of DILEMMA + MoCo v3 on generated images."""
    path = osp.join(REPO_ROOT, 'tools/analysis_tools/misplacement_curve.py')
    spec = importlib.util.spec_from_file_location('misplacement_curve', path)
    curve = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(curve)
    args = argparse.Namespace(
        steps=300,
        batch_size=32,
        img_size=32,
        patch_size=8,
        embed_dims=64,
        num_layers=2,
        drop_ratio=0.5,
        misplace_prob=0.2,
        lr=1e-3,
        log_interval=100,
        eval_batches=8,
        seed=0)
    num_threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny ops: one thread is fastest on 2 cores
    try:
        result = curve.train(args)
    finally:
        torch.set_num_threads(num_threads)
    assert result['chance'] == pytest.approx(0.8)
    # held-out accuracy reached 0.91-0.92 over seeds 0-2
    assert result['acc_dilemma'] > result['chance'] + 0.06
    assert isinstance(curve.build_model(args), DilemmaMoCoV3)
