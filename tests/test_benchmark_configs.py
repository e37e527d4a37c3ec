"""Benchmark configs: every one builds (paper-scale ones shrunk here, not in
the files), a linear probe loads a pretraining checkpoint and keeps its
backbone frozen, and the ImageNet-100 annotation tool."""
import copy
import glob
import os
import os.path as osp

import pytest
import torch
from conftest import REPO_ROOT, make_image_folder
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

from dilemma_mm.registry import DATASETS, METRICS, MODELS, PARAM_SCHEDULERS
from dilemma_mm.utils import load_config

BENCHMARKS = osp.join(REPO_ROOT, 'configs', 'benchmarks')
CONFIGS = sorted(glob.glob(osp.join(BENCHMARKS, '*.py')))
LINEAR_SHAPES = osp.join(
    BENCHMARKS, 'vit-tiny-p8-convstem_dilemma-mocov3-8e-pre_'
    '1xb128-linear-coslr-5e_shapes.py')
FINETUNE_SHAPES = LINEAR_SHAPES.replace('-linear-', '-ft-')
PRETRAIN = {
    'dilemma':
    'configs/dilemma/'
    'dilemma-mocov3_vit-tiny-p8-convstem_1xb128-coslr-8e_shapes.py',
    'mocov3':
    'configs/mocov3/mocov3_vit-tiny-p8-convstem_1xb128-coslr-6e_shapes.py',
}
TINY = dict(embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64)


def shrunk(cfg):
    """Overrides, as --cfg-options would give them, that make a config's
    ViT 2 layers of 32 channels on 32 px."""
    options = {
        'model.backbone.arch': dict(_delete_=True, **TINY),
        'model.backbone.img_size': 32,
        'model.head.in_channels': 32,
    }
    if cfg.model.backbone.get('frozen_stages', -1) > 0:
        options['model.backbone.frozen_stages'] = 2
    if cfg.model.get('neck'):
        options['model.neck.input_features'] = 32
    return options


def test_there_is_a_config_per_benchmark():
    names = [osp.basename(c) for c in CONFIGS]
    for backbone in ('vit-small-p16', 'vit-base-p16'):
        for kind in ('linear', 'ft'):
            for data in ('in1k', 'in100'):
                assert any(
                    n.startswith(backbone) and f'-{kind}-' in n
                    and n.endswith(f'_{data}.py') for n in names)
    for kind in ('linear', 'ft'):
        for level in (6, 20, 82):
            assert any(f'-{kind}-' in n and n.endswith(f'_yoga82-{level}.py')
                       for n in names)
    # The CPU benchmarks of the shape data: a linear probe, a fine-tuning.
    for kind in ('linear', 'ft'):
        assert any(f'-{kind}-' in n and n.endswith('_shapes.py')
                   for n in names)
    assert any(n.endswith('_yoga82-hier.py') for n in names)


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_config_builds(path):
    cfg = load_config(path)
    assert cfg.default_scope == 'dilemma_mm'
    backbone = cfg.model.backbone
    assert backbone.type == 'DilemmaViT'
    assert backbone.init_cfg == dict(
        type='Pretrained', checkpoint='', prefix='backbone.')
    if not path.endswith('_shapes.py'):
        cfg.merge_from_dict(shrunk(cfg))
    init_default_scope('dilemma_mm')
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    model = MODELS.build(model_cfg)
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    trained = {
        id(p)
        for g in optim_wrapper.optimizer.param_groups
        for p in g['params']
    }
    frozen = cfg.model.backbone.get('frozen_stages', -1) > 0
    for name, param in model.named_parameters():
        if name.startswith('backbone.') and frozen:
            assert not param.requires_grad, name
        if name.startswith('head.'):
            assert param.requires_grad and (frozen or id(param) in trained)
    if '-ft-' in path:
        # Layer-wise decay: the first block learns slower than the last.
        scales = {
            g['param_name']: g['lr_scale']
            for g in optim_wrapper.optimizer.param_groups
        }
        rate = cfg.optim_wrapper.paramwise_cfg.layer_decay_rate
        first = scales['backbone.layers.0.ffn.layers.1.weight']
        last = scales['backbone.layers.1.ffn.layers.1.weight']
        assert first == pytest.approx(last * rate)
        assert cfg.model.backbone.drop_path_rate > 0
        # Mixup and CutMix need more than the shape data's 5 epochs.
        if 'hier' not in path and not path.endswith('_shapes.py'):
            assert cfg.model.train_cfg.augments[0].type == 'Mixup'
    with torch.no_grad():
        size = cfg.model.backbone.img_size
        model.eval()
        preds = model.predict(torch.randn(2, 3, size, size))
    assert len(preds) == 2
    for scheduler in cfg.param_scheduler:
        assert PARAM_SCHEDULERS.get(scheduler.type) is not None
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert DATASETS.get(cfg[loader].dataset.type) is not None
    evaluators = cfg.val_evaluator
    for evaluator in (evaluators
                      if isinstance(evaluators, list) else [evaluators]):
        assert METRICS.get(evaluator.type) is not None


def tiny_pretraining_checkpoint(kind: str, path: str) -> dict:
    """Save a 1-layer pretraining algorithm of ``kind``; its state dict."""
    cfg = load_config(osp.join(REPO_ROOT, PRETRAIN[kind]))
    cfg.model.backbone.arch.num_layers = 1
    init_default_scope('dilemma_mm')
    torch.manual_seed(1)
    algorithm = MODELS.build(cfg.model)
    algorithm.init_weights()
    state = algorithm.state_dict()
    torch.save(dict(meta=dict(epoch=8), state_dict=state), path)
    return state


def shapes_benchmark_runner(config, kind, tmp_path, options=None):
    """A runner of a shape-data benchmark config on a 1-layer ``kind``
    pretraining checkpoint and a generated 6-class folder, its weights
    initialised; checks that the whole backbone (the fixed sin-cos
    position embeddings too) is the checkpoint's and nothing else was
    taken. Returns the runner and the checkpoint's state dict."""
    from mmengine.runner import Runner
    checkpoint = str(tmp_path / f'{kind}.pth')
    state = tiny_pretraining_checkpoint(kind, checkpoint)
    data_root = make_image_folder(
        str(tmp_path / 'data'), num_classes=6, per_class=2, size=32)
    cfg = load_config(config)
    cfg.merge_from_dict({
        'model.backbone.init_cfg.checkpoint': checkpoint,
        'model.backbone.arch.num_layers': 1,
        'model.head.num_classes': 6,
        'data_preprocessor.num_classes': 6,
        'train_cfg.max_epochs': 1,
        'work_dir': str(tmp_path / 'work'),
        **(options or {}),
    })
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].update(
            batch_size=4, num_workers=0, persistent_workers=False)
        cfg[loader].dataset.data_root = data_root
    runner = Runner.from_cfg(cfg)
    runner._init_model_weights()
    backbone = runner.model.backbone.state_dict()
    assert set(backbone) == {
        k[len('backbone.'):]
        for k in state if k.startswith('backbone.')
    }
    for key, value in backbone.items():
        assert torch.equal(value, state[f'backbone.{key}']), key
    return runner, state


@pytest.mark.parametrize('kind', ['dilemma', 'mocov3'])
def test_linear_probe_loads_pretraining_and_stays_frozen(kind, tmp_path):
    runner, state = shapes_benchmark_runner(
        LINEAR_SHAPES, kind, tmp_path, {'model.backbone.frozen_stages': 1})
    model = runner.model
    # The head keeps its own initialisation (Normal, std 0.01, bias 0).
    head_weight = model.head.layers.head.weight.detach().clone()
    assert head_weight.shape == (6, 192)
    assert 0.005 < head_weight.std() < 0.02
    assert not model.head.layers.head.bias.any()
    assert not any(p.requires_grad for p in model.backbone.parameters())

    runner.train()  # 3 iterations and a validation
    for key, value in model.backbone.state_dict().items():
        assert torch.equal(value, state[f'backbone.{key}']), key
    assert not torch.equal(model.head.layers.head.weight, head_weight)
    metrics = runner.message_hub.get_scalar('val/accuracy/top1')
    assert metrics is not None


def test_finetuning_loads_pretraining_and_trains_every_layer(tmp_path):
    """The shape data's fine-tuning: the whole backbone of a pretraining
    checkpoint, every layer trained, the stem's learning rate the lowest."""
    runner, state = shapes_benchmark_runner(FINETUNE_SHAPES, 'dilemma',
                                            tmp_path)
    model, cfg = runner.model, runner.cfg
    optimizer = build_optim_wrapper(model, cfg.optim_wrapper).optimizer
    scales = {g['param_name']: g['lr_scale'] for g in optimizer.param_groups}
    stem = [v for k, v in scales.items() if 'patch_embed' in k]
    assert stem and max(stem) < scales['backbone.layers.0.ffn.layers.1.weight']

    runner.train()  # 3 iterations and a validation
    for name, param in model.backbone.named_parameters():
        # every trained tensor moved (the sin-cos positions are fixed)
        assert param.requires_grad == (name != 'pos_embed'), name
        if param.requires_grad:
            assert not torch.equal(param, state[f'backbone.{name}']), name
    assert runner.message_hub.get_scalar('val/accuracy/top1') is not None


def test_linear_probe_on_the_patch_mean(tmp_path):
    """The probe option of the config's comment: the BatchNorm and the
    linear head read the mean of the final-normed patch tokens, the
    pretraining checkpoint still loads whole (the preflight refuses a
    partial one) and nothing new is trained before the head."""
    from mmpretrain.structures import DataSample

    from dilemma_mm.engine.preflight import check_pretrained_init
    from dilemma_mm.evaluation.knn import build_feature_backbone
    checkpoint = str(tmp_path / 'dilemma.pth')
    state = tiny_pretraining_checkpoint('dilemma', checkpoint)
    cfg = load_config(
        LINEAR_SHAPES, {
            'model.backbone.out_type': 'featmap',
            'model.neck.type': 'PatchMeanBatchNormNeck',
            'model.backbone.init_cfg.checkpoint': checkpoint,
            'model.backbone.arch.num_layers': 1,
            'model.backbone.frozen_stages': 1,
        })
    init_default_scope('dilemma_mm')
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    model = MODELS.build(model_cfg)
    loaded = check_pretrained_init(model)
    assert loaded == dict(backbone=dict(missing_keys=[], unexpected_keys=[]))
    model.init_weights()
    for key, value in model.backbone.state_dict().items():
        assert torch.equal(value, state[f'backbone.{key}']), key
    trained = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trained == ['head.layers.head.weight', 'head.layers.head.bias']

    images = torch.randn(4, 3, 32, 32)
    model.eval()
    with torch.no_grad():
        feats = model.extract_feat(images)[-1]  # (B, C) into the head
        patch_mean, cls_token = (
            build_feature_backbone(
                cfg.model.backbone, checkpoint,
                feature=feature)[0].eval()(images)[-1]
            for feature in ('patch_mean', 'cls_token'))
        patch_mean = patch_mean.mean(dim=(2, 3))  # (B, C, h, w) -> (B, C)
    # Untrained running statistics (mean 0, variance 1): the BatchNorm
    # divides by sqrt(1 + eps) only.
    torch.testing.assert_close(feats, patch_mean / (1 + 1e-6)**.5)
    assert not torch.allclose(patch_mean, cls_token)
    model.train()
    losses = model.loss(images,
                        [DataSample().set_gt_label(i) for i in range(4)])
    assert torch.isfinite(losses['loss'])
    losses['loss'].backward()
    assert model.head.layers.head.weight.grad.abs().sum() > 0


def test_make_imagenet100(tmp_path):
    import sys
    sys.path.insert(0, osp.join(REPO_ROOT, 'tools', 'dataset_converters'))
    from make_imagenet100 import IMAGENET100_CLASSES, main
    assert len(set(IMAGENET100_CLASSES)) == 100
    assert all(len(w) == 9 and w.startswith('n') for w in IMAGENET100_CLASSES)

    # A miniature ImageNet: two subset classes, one other, flat val.
    root = tmp_path / 'imagenet'
    subset = ['n01558993', 'n02869837']
    other = 'n01440764'
    for wnid in subset + [other]:
        make_image_folder(
            str(tmp_path / 'tmp' / wnid), num_classes=1, per_class=2, size=8)
        os.makedirs(root / 'train' / wnid)
        for i, name in enumerate(['a.png', 'b.JPEG']):
            os.rename(
                tmp_path / 'tmp' / wnid / 'train' / 'class_0' / f'00{i}.png',
                root / 'train' / wnid / name)
    (root / 'meta').mkdir()
    (root / 'meta' / 'val.txt').write_text(
        f'{subset[1]}/v1.JPEG 1\n{other}/v2.JPEG 0\n{subset[0]}/v3.JPEG 2\n')
    classes = tmp_path / 'classes.txt'
    classes.write_text('# a subset\n' + '\n'.join(subset) + '\n')
    counts = main([str(root), '--classes', str(classes)])
    assert counts == dict(train=4, val=2)
    train = (root / 'meta' / 'train_in100.txt').read_text().splitlines()
    assert train == [
        'n01558993/a.png 0', 'n01558993/b.JPEG 0', 'n02869837/a.png 1',
        'n02869837/b.JPEG 1'
    ]
    assert (root / 'meta' / 'val_in100.txt').read_text().splitlines() == [
        'n02869837/v1.JPEG 1', 'n01558993/v3.JPEG 0'
    ]
    # The ImageNet-100 configs read these files.
    cfg = load_config(
        osp.join(
            BENCHMARKS, 'vit-small-p16_dilemma-mocov3-300e-pre_'
            '8xb128-linear-coslr-90e_in100.py'))
    dataset_cfg = cfg.train_dataloader.dataset
    dataset_cfg.update(
        data_root=str(root),
        classes=str(root / 'meta' / 'classes_in100.txt'),
        pipeline=[])
    init_default_scope('dilemma_mm')
    dataset = DATASETS.build(dataset_cfg)
    assert len(dataset) == 4 and dataset.CLASSES == tuple(subset)
    assert dataset.get_data_info(3)['gt_label'] == 1
    with pytest.raises(FileNotFoundError):
        main([str(tmp_path / 'nowhere')])
