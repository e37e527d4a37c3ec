"""DILEMMA + SimCLR: both views sparse and corrupted, baseline reproduced."""
import pytest
import torch
from mmengine.optim import OptimWrapper
from tiny_models import (ARCH, DIMS, SeqLenRecorder, build, load_weights,
                         make_batch)

from dilemma_mm.models.algorithms import collate_token_layouts

GRID = 16  # 32 px views, patch 8


def simclr_cfg(algorithm='DilemmaSimCLR', backbone='DilemmaViT') -> dict:
    return dict(
        type=algorithm,
        backbone=dict(type=backbone, arch=ARCH, img_size=32, patch_size=8),
        neck=dict(
            type='NonLinearNeck',
            in_channels=DIMS,
            hid_channels=64,
            out_channels=16,
            num_layers=2,
            with_avg_pool=False),
        head=dict(
            type='ContrastiveHead',
            loss=dict(type='CrossEntropyLoss'),
            temperature=0.1))


def batch(drop_ratio=0.5, misplace_prob=0.25, keys=('keep', 'pos')):
    views = dict(
        type='MultiView',
        num_views=2,
        transforms=[[
            dict(type='RandomResizedCrop', scale=32),
            dict(type='RandomFlip', prob=0.5)
        ]])
    return make_batch([views], drop_ratio, misplace_prob, keys)


def test_both_views_sparse_and_corrupted_in_one_pass():
    model = build(simclr_cfg())
    recorder = SeqLenRecorder(backbone=model.backbone)
    data = batch()
    losses = model(**model.data_preprocessor(data, True), mode='loss')
    assert set(losses) == {
        'loss_simclr', 'loss_dilemma', 'acc_dilemma', 'auc_dilemma',
        'ap_dilemma'
    }
    # no dense pass at all: one sparse pass over the 2 x 4 views
    assert recorder.seq_lens['backbone'] == [1 + GRID // 2]

    optim_wrapper = OptimWrapper(torch.optim.AdamW(model.parameters()))
    before = model.misplacement_head.classifier.weight.detach().clone()
    log_vars = model.train_step(data, optim_wrapper)
    assert torch.isfinite(log_vars['loss'])
    assert not torch.equal(model.misplacement_head.classifier.weight, before)


def test_misplacement_targets_of_both_views():
    model = build(simclr_cfg())
    seen = []

    def record(tokens, keep, pos, **kwargs):
        seen.append((keep, pos))
        return dict(loss_dilemma=tokens.sum() * 0)

    model.misplacement_head.loss = record
    data = batch()
    data = model.data_preprocessor(data, True)
    model(**data, mode='loss')
    (keep, pos), = seen
    layouts = collate_token_layouts(data['data_samples'], data['inputs'],
                                    model.backbone)
    for view, (view_keep, view_pos) in enumerate(layouts):
        # views concatenated, view after view
        torch.testing.assert_close(keep[4 * view:4 * view + 4], view_keep)
        torch.testing.assert_close(pos[4 * view:4 * view + 4], view_pos)
    assert (keep != pos).any()


@pytest.mark.parametrize('keys', [('keep', 'pos'), ()])
def test_dilemma_disabled_is_simclr(keys):
    simclr = build(simclr_cfg('SimCLR', 'VisionTransformer'))
    dilemma = build(simclr_cfg())
    load_weights(dilemma, simclr)
    data = batch(drop_ratio=0., misplace_prob=0., keys=keys)
    expected = simclr(**simclr.data_preprocessor(data, True), mode='loss')
    losses = dilemma(**dilemma.data_preprocessor(data, True), mode='loss')
    torch.testing.assert_close(losses['loss_simclr'], expected['loss'])
