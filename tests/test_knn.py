"""Weighted k-NN: known answers, the tool end to end, the training hook, and
feature gathering across two processes."""
import glob
import json
import math
import os
import os.path as osp
import socket

import numpy as np
import pytest
import torch
import torch.multiprocessing as mp
from conftest import REPO_ROOT, run_tool
from mmengine.registry import init_default_scope
from PIL import Image

from dilemma_mm.checkpoint import load_backbone_checkpoint
from dilemma_mm.evaluation.knn import (build_cls_preprocessor,
                                       build_feature_backbone,
                                       extract_features, gather_features,
                                       knn_classify, knn_evaluate,
                                       topk_accuracy, vit_feature)
from dilemma_mm.evaluation.linear_probe import WEIGHT_DECAYS
from dilemma_mm.registry import MODELS
from dilemma_mm.utils import load_config

CONFIG = 'configs/mocov3/mocov3_vit-tiny-p8-convstem_1xb128-coslr-6e_shapes.py'
TINY_VIT = dict(
    embed_dims=32, num_layers=1, num_heads=2, feedforward_channels=64)


def clusters(num_classes=3, per_class=30, dim=16, noise=.1, seed=0):
    """Points around orthogonal class centres, and their labels."""
    gen = torch.Generator().manual_seed(seed)
    centres = torch.eye(dim)[:num_classes] * 5
    labels = torch.arange(num_classes).repeat_interleave(per_class)
    feats = centres[labels] + noise * torch.randn(
        len(labels), dim, generator=gen)
    return feats, labels


def test_separated_clusters_are_perfect():
    train_feats, train_labels = clusters(seed=0)
    val_feats, val_labels = clusters(per_class=10, seed=1)
    result = knn_evaluate(train_feats, train_labels, val_feats, val_labels)
    assert result == {'top1': 100., 'top5': 100.}


def test_majority_of_neighbours_outvotes_label_noise():
    train_feats, train_labels = clusters(per_class=40)
    noisy = train_labels.clone()
    gen = torch.Generator().manual_seed(0)
    flip = torch.rand(len(noisy), generator=gen) < .2
    noisy[flip] = (noisy[flip] + 1) % 3
    val_feats, val_labels = clusters(per_class=10, seed=1)
    # 20 voters, a fifth of them wrong: still right.
    assert knn_evaluate(
        train_feats, noisy, val_feats, val_labels, k=20)['top1'] == 100.
    # One voter: a query sitting on a mislabelled point takes its label.
    wrong = int(flip.nonzero()[0])
    scores = knn_classify(
        train_feats, noisy, train_feats[wrong:wrong + 1], k=1)
    assert scores.argmax().item() == noisy[wrong] != train_labels[wrong]


def test_votes_are_weighted_by_similarity():
    # Class 0: 3 neighbours at cosine 0.99; class 1: 10 at cosine 0.8.
    query = torch.tensor([[1., 0., 0.]])
    near = torch.tensor([0.99, math.sqrt(1 - 0.99**2), 0.])
    far = torch.tensor([0.8, 0., 0.6])
    bank = torch.stack([near] * 3 + [far] * 10)
    labels = torch.tensor([0] * 3 + [1] * 10)
    sharp = knn_classify(bank, labels, query, k=13, temperature=0.07)[0]
    # DINO's vote: sum of exp(sim / T) per class, up to one factor.
    expected = torch.tensor(
        [3 * math.exp(0.99 / 0.07), 10 * math.exp(0.8 / 0.07)])
    torch.testing.assert_close(sharp / sharp.sum(), expected / expected.sum())
    assert sharp.argmax() == 0
    # A flat temperature counts heads: the 10 win.
    flat = knn_classify(bank, labels, query, k=13, temperature=100.)[0]
    assert flat.argmax() == 1
    # Only the k nearest vote.
    assert knn_classify(bank, labels, query, k=3)[0, 1] == 0


def test_tiny_temperature_and_small_bank():
    feats, labels = clusters(per_class=2)
    scores = knn_classify(feats, labels, feats, k=50, temperature=1e-4)
    assert torch.isfinite(scores).all() and scores.shape == (6, 3)
    assert topk_accuracy(
        scores, labels, topk=(1, 5)) == {
            'top1': 100.,
            'top5': 100.
        }
    with pytest.raises(ValueError):
        knn_classify(feats, labels[:-1], feats)


def tiny_backbone():
    init_default_scope('dilemma_mm')
    return MODELS.build(
        dict(
            type='DilemmaViT',
            arch=TINY_VIT,
            img_size=32,
            patch_size=8,
            out_type='cls_token'))


def test_extract_features_and_checkpoints(tmp_path):
    from mmpretrain.structures import DataSample

    from dilemma_mm.evaluation.knn import build_cls_preprocessor
    backbone = tiny_backbone()
    backbone.train()
    images = torch.randint(0, 256, (6, 3, 32, 32), dtype=torch.uint8)
    loader = [
        dict(
            inputs=images[i:i + 3],
            data_samples=[DataSample().set_gt_label(j) for j in range(3)])
        for i in (0, 3)
    ]
    preprocessor = build_cls_preprocessor(
        dict(mean=[0] * 3, std=[255] * 3, to_rgb=False))
    feats, labels = extract_features(backbone, loader, preprocessor)
    assert backbone.training  # mode restored
    with torch.no_grad():
        backbone.eval()
        expected = backbone(images.float() / 255)[-1]
    torch.testing.assert_close(feats, expected)
    assert labels.tolist() == [0, 1, 2, 0, 1, 2]

    # Algorithm checkpoint (prefix) and backbone-only state dict.
    state = backbone.state_dict()
    algo = str(tmp_path / 'algo.pth')
    torch.save(
        dict(
            state_dict={
                **{
                    f'backbone.{k}': v
                    for k, v in state.items()
                }, 'head.fc.weight': torch.zeros(1)
            }), algo)
    torch.save(state, str(tmp_path / 'bare.pth'))
    for path in (algo, str(tmp_path / 'bare.pth')):
        other = tiny_backbone()
        result = load_backbone_checkpoint(other, path)
        assert result['missing_keys'] == []
        for key, value in other.state_dict().items():
            assert torch.equal(value, state[key]), key
    torch.save({'neck.w': torch.zeros(1)}, str(tmp_path / 'none.pth'))
    with pytest.raises(ValueError, match='no weights of the backbone'):
        load_backbone_checkpoint(other, str(tmp_path / 'none.pth'))


# The backbones the shape recipes pretrain: DilemmaViT (conv stem, as
# MoCo v3's, DINO's and SimCLR's) and DilemmaMAEViT (out_type 'raw').
PRETRAIN_CONFIGS = [
    CONFIG, 'configs/dilemma/'
    'dilemma-mae_vit-tiny-p8-convstem_1xb128-coslr-20e_shapes.py'
]


@pytest.mark.parametrize('config', PRETRAIN_CONFIGS, ids=osp.basename)
def test_patch_mean_is_the_mean_of_the_final_normed_patch_tokens(
        config, tmp_path):
    """Issue: MAE hardly trains the class token and DILEMMA's loss is on
    the patch tokens, so k-NN also reads their mean; from the same
    checkpoint, loaded whole (the loader refuses a partial one)."""
    from mmpretrain.structures import DataSample
    cfg = load_config(osp.join(REPO_ROOT, config))
    cfg.model.backbone.arch.update(TINY_VIT)
    init_default_scope('dilemma_mm')
    torch.manual_seed(0)
    pretrained = MODELS.build(cfg.model.backbone)  # its training out_type
    pretrained.init_weights()
    checkpoint = str(tmp_path / 'algo.pth')
    torch.save(
        dict(state_dict={
            f'backbone.{k}': v
            for k, v in pretrained.state_dict().items()
        }), checkpoint)

    images = torch.randint(0, 256, (4, 3, 32, 32), dtype=torch.uint8)
    loader = [
        dict(
            inputs=images,
            data_samples=[DataSample().set_gt_label(0) for _ in range(4)])
    ]
    preprocessor = build_cls_preprocessor(
        dict(mean=[0] * 3, std=[255] * 3, to_rgb=False))
    feats, final_tokens = {}, {}
    for feature in ('cls_token', 'patch_mean'):
        backbone, load_result = build_feature_backbone(
            cfg.model.backbone, checkpoint, feature=feature)
        assert load_result == dict(missing_keys=[], unexpected_keys=[])

        def keep_final_tokens(module, args, out, feature=feature):
            final_tokens[feature] = out  # the final norm's, (B, 1 + L, C)

        backbone.ln1.register_forward_hook(keep_final_tokens)
        feats[feature] = extract_features(backbone, loader,
                                          preprocessor)[0]  # (B, C)
    cls_token = final_tokens['cls_token'][:, 0]
    patch_tokens = final_tokens['patch_mean'][:, 1:]
    assert patch_tokens.shape == (4, 16, TINY_VIT['embed_dims'])
    torch.testing.assert_close(feats['cls_token'], cls_token)
    torch.testing.assert_close(feats['patch_mean'], patch_tokens.mean(1))
    assert not torch.allclose(feats['patch_mean'], feats['cls_token'])


def test_vit_feature_switches_a_live_backbone_and_restores_it():
    backbone = tiny_backbone()  # out_type='cls_token'
    images = torch.randn(2, 3, 32, 32)
    backbone.out_type = 'raw'  # as MAE's encoder trains
    with torch.no_grad(), vit_feature(backbone, 'patch_mean'):
        assert backbone(images)[-1].shape == (2, 32, 4, 4)
    assert backbone.out_type == 'raw'
    with pytest.raises(RuntimeError), vit_feature(backbone, 'cls_token'):
        assert backbone.out_type == 'cls_token'
        raise RuntimeError('an evaluation that fails')
    assert backbone.out_type == 'raw'
    with pytest.raises(ValueError, match='unknown feature'):
        with vit_feature(backbone, 'avg_featmap'):
            pass


def bright_dark_folder(root: str, per_class: int = 6) -> str:
    """Class ``dark`` / ``light``: noisy images around two grey levels."""
    rng = np.random.default_rng(0)
    for split in ('train', 'val'):
        for name, level in (('dark', 40), ('light', 215)):
            os.makedirs(osp.join(root, split, name), exist_ok=True)
            for i in range(per_class):
                pixels = np.clip(level + rng.normal(0, 20, (32, 32, 3)), 0,
                                 255).astype(np.uint8)
                Image.fromarray(pixels).save(
                    osp.join(root, split, name, f'{i}.png'))
    return root


def tiny_options(data_root):
    return [
        f'train_dataloader.dataset.data_root={data_root}',
        'model.backbone.arch.num_layers=1',
        'model.backbone.arch.embed_dims=32',
        'model.backbone.arch.num_heads=2',
        'model.backbone.arch.feedforward_channels=64',
    ]


def test_knn_eval_tool(tmp_path):
    data_root = bright_dark_folder(str(tmp_path / 'data'))
    options = tiny_options(data_root)
    cfg = load_config(osp.join(REPO_ROOT, CONFIG))
    cfg.model.backbone.arch.update(TINY_VIT)
    init_default_scope('dilemma_mm')
    backbone = MODELS.build(cfg.model.backbone)
    state = backbone.state_dict()
    algo = str(tmp_path / 'algo.pth')
    torch.save(
        dict(
            meta=dict(epoch=1),
            state_dict={
                f'backbone.{k}': v
                for k, v in state.items()
            }), algo)
    torch.save(state, str(tmp_path / 'bare.pth'))

    out = str(tmp_path / 'knn.json')
    proc = run_tool([
        'tools/analysis_tools/knn_eval.py', CONFIG, algo, '--num-workers', '0',
        '--batch-size', '5', '--out', out, '--cfg-options'
    ] + options)
    # Grey levels are easy even for a random ViT.
    # 12 training images: every one votes, and the k used is the one shown
    assert '--k 20 is more than the 12 training images' in proc.stdout
    assert 'k-NN (k=12, T=0.07): top-1 100.00' in proc.stdout
    assert '(12 val / 12 train images)' in proc.stdout
    result = json.load(open(out))
    assert result['knn_top1'] == 100. and result['num_train'] == 12
    assert result['feature'] == 'cls_token'

    patch_mean_out = str(tmp_path / 'knn_patch_mean.json')
    proc = run_tool([
        'tools/analysis_tools/knn_eval.py', CONFIG,
        str(tmp_path / 'bare.pth'), '--k', '3', '--temperature', '0.1',
        '--num-workers', '0', '--val-split', 'train', '--feature',
        'patch_mean', '--linear', '--out', patch_mean_out, '--cfg-options'
    ] + options)
    assert 'k-NN (k=3, T=0.1): top-1 100.00' in proc.stdout
    assert 'patch_mean features of dimension 32' in proc.stdout
    assert 'linear (converged, weight decay' in proc.stdout
    result = json.load(open(patch_mean_out))
    assert result['feature'] == 'patch_mean'
    assert result['linear_top1'] == 100.
    # Every decay reads all: the tie goes to the largest, not the edge.
    assert result['linear_weight_decay'] == max(WEIGHT_DECAYS)
    assert result['linear_weight_decay_at_edge'] is False
    assert 'lower bound' not in proc.stdout
    assert set(
        result['linear_holdout_top1']) == {str(wd)
                                           for wd in WEIGHT_DECAYS}

    # Issue 11, probe 5: a 1-layer checkpoint on a 2-layer backbone is
    # refused with the keys named, or evaluated with --allow-partial and the
    # keys recorded.
    two_layers = options + ['model.backbone.arch.num_layers=2']
    before = open(out, 'rb').read()
    tool = [
        'tools/analysis_tools/knn_eval.py', CONFIG, algo, '--out', out,
        '--num-workers', '0', '--cfg-options'
    ] + two_layers
    proc = run_tool(tool, check=False)
    assert proc.returncode != 0
    assert f'{algo} does not fit the backbone: missing keys ' in proc.stdout
    assert 'layers.1.ln1.weight' in proc.stdout and 'top-1' not in proc.stdout
    assert open(out, 'rb').read() == before
    run_tool(tool[:3] + ['--allow-partial'] + tool[3:])
    missing = json.load(open(out))['partial_load']['missing_keys']
    assert missing and all(k.startswith('layers.1.') for k in missing)

    # Issue 11: an unreadable image stops the evaluation and is named.
    empty = osp.join(data_root, 'val', 'dark', 'empty.png')
    open(empty, 'wb').close()
    proc = run_tool(
        tool[:3] + ['--num-workers', '0', '--cfg-options'] + options,
        check=False)
    assert proc.returncode != 0
    assert f'Cannot load image {empty}: empty file' in proc.stdout
    assert 'top-1' not in proc.stdout


def test_hook_logs_knn_top1_during_training(tmp_path, monkeypatch):
    from mmengine.runner import Runner

    from dilemma_mm.engine.hooks import knn_monitor_hook
    out_types = []  # the backbone's out_type at each feature extraction

    def recording_extract_features(backbone, *args):
        out_types.append(backbone.out_type)
        return extract_features(backbone, *args)

    monkeypatch.setattr(knn_monitor_hook, 'extract_features',
                        recording_extract_features)
    data_root = bright_dark_folder(str(tmp_path / 'data'), per_class=4)
    eval_set = dict(
        type='CustomDataset',
        data_root=data_root,
        pipeline=[dict(type='LoadImageFromFile'),
                  dict(type='PackInputs')])
    cfg = load_config(osp.join(REPO_ROOT, CONFIG))
    cfg.model.backbone.arch.update(TINY_VIT)
    cfg.model.neck.in_channels = TINY_VIT['embed_dims']
    cfg.train_dataloader.dataset.data_root = data_root
    cfg.train_dataloader.update(
        batch_size=4, num_workers=0, persistent_workers=False)
    cfg.train_cfg.max_epochs = 2
    cfg.work_dir = str(tmp_path / 'work')
    cfg.default_hooks.logger.interval = 1
    hook = dict(
        type='KNNMonitorHook',
        interval=1,
        k=5,
        train_dataloader=dict(
            batch_size=8,
            num_workers=0,
            dataset=dict(**eval_set, data_prefix='train')),
        val_dataloader=dict(
            batch_size=8,
            num_workers=0,
            dataset=dict(**eval_set, data_prefix='val')))
    cfg.custom_hooks = [
        hook, dict(hook, feature='patch_mean', prefix='knn_patch_mean')
    ]
    runner = Runner.from_cfg(cfg)
    runner.train()
    history = runner.message_hub.get_scalar('knn_top1')
    assert len(history.data[0]) == 2  # once per epoch
    assert runner.message_hub.get_scalar('knn_top5').current() == 100.
    history = runner.message_hub.get_scalar('knn_patch_mean_top1')
    assert len(history.data[0]) == 2
    # Train and val per hook and epoch; the backbone trains on with its own
    # output after the patch mean.
    assert out_types == ['cls_token'] * 2 + ['featmap'] * 2 + [
        'cls_token'
    ] * 2 + ['featmap'] * 2
    assert runner.model.backbone.out_type == 'cls_token'
    log = open(glob.glob(osp.join(cfg.work_dir, '*', '*.log'))[0]).read()
    assert 'Epoch(knn) [2] knn_top1: ' in log
    assert '(k=5, T=0.07, cls_token, 8 train / 8 val images)' in log
    assert '(k=5, T=0.07, patch_mean, 8 train / 8 val images)' in log
    scalars = [
        json.loads(line) for line in open(
            glob.glob(osp.join(cfg.work_dir, '*', 'vis_data', 'scalars.json'))
            [0])
    ]
    knn = [s for s in scalars if 'knn_top1' in s]
    assert [s['step'] for s in knn] == [1, 2]


def _gather_worker(rank, world_size, port, tmpdir):
    import torch.distributed as torch_dist
    from mmengine.dataset import DefaultSampler
    torch_dist.init_process_group(
        'gloo',
        init_method=f'tcp://127.0.0.1:{port}',
        rank=rank,
        world_size=world_size)
    dataset = list(range(5))  # 5 images over 2 ranks: one is padded
    indices = list(DefaultSampler(dataset, shuffle=False))
    feats = torch.tensor(indices, dtype=torch.float32)[:, None].repeat(1, 3)
    labels = torch.tensor(indices) % 2
    result = gather_features(feats, labels, len(dataset))
    if rank == 0:
        torch.save(result, osp.join(tmpdir, 'gathered.pth'))
    else:
        assert result is None
    torch_dist.destroy_process_group()


def test_gather_features_two_processes(tmp_path):
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    mp.spawn(
        _gather_worker, args=(2, port, str(tmp_path)), nprocs=2, join=True)
    feats, labels = torch.load(str(tmp_path / 'gathered.pth'))
    # Every image once, in dataset order, the padding dropped.
    assert feats[:, 0].tolist() == [0., 1., 2., 3., 4.]
    assert labels.tolist() == [0, 1, 0, 1, 0]


def test_hook_log_line_carries_the_detection_metrics():
    from types import SimpleNamespace

    from mmengine.logging import MessageHub

    from dilemma_mm.engine.hooks import KNNMonitorHook
    hub = MessageHub.get_instance('test_knn_detection_summary')
    runner = SimpleNamespace(message_hub=hub)
    assert KNNMonitorHook._detection_summary(runner) == ''  # no DILEMMA
    for auc, ap, acc in ((.6, .3, .8), (.8, .5, .9)):
        hub.update_scalar('train/auc_dilemma', auc)
        hub.update_scalar('train/ap_dilemma', ap)
        hub.update_scalar('train/acc_dilemma', acc)
    assert KNNMonitorHook._detection_summary(runner) == (
        '  auc_dilemma: 0.700  ap_dilemma: 0.400  acc_dilemma: 0.850')
