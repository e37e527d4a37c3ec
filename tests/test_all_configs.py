"""Every pretraining config of the tree builds and runs.

For each config under ``configs/`` (``_base_`` and ``benchmarks`` aside):

- CPU-sized ones (the shape-data recipes) build their model and dataset
  pipeline and run one training iteration (``train_step`` with the
  config's optimizer) on the shape data, or on a generated stand-in folder
  where ``data/shapes`` is absent;
- paper-scale ones build their full model on the meta device (every
  component and argument checked, no memory spent), then a shrunken copy
  (``--cfg-options``-style overrides of width, depth and batch applied with
  ``cfg.merge_from_dict``; the configs are not edited) runs its data
  pipeline on a generated ImageNet-style stand-in folder (real ImageNet is
  never scanned here) and a forward/loss pass.
"""
import glob
import math
import os
import os.path as osp
import random

import numpy as np
import pytest
import torch
from conftest import REPO_ROOT, make_image_folder
from mmengine.dataset import default_collate
from mmengine.logging import MessageHub
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

from dilemma_mm.registry import DATASETS, MODELS
from dilemma_mm.utils import load_config

CONFIGS = sorted(
    osp.relpath(path, REPO_ROOT) for path in glob.glob(
        osp.join(REPO_ROOT, 'configs', '**', '*.py'), recursive=True)
    if not {'_base_', 'benchmarks'} & set(osp.normpath(path).split(os.sep)))
CPU_CONFIGS = [c for c in CONFIGS if c.endswith('_shapes.py')]
PAPER_CONFIGS = [c for c in CONFIGS if c not in CPU_CONFIGS]

# keys whose integer values are channel widths: shrunk by value, so widths
# that must agree (backbone -> neck -> predictor) still agree
CHANNEL_KEYS = {
    'in_channels', 'out_channels', 'hid_channels', 'hidden_channels',
    'bottleneck_channels', 'embed_dim', 'embed_dims', 'decoder_embed_dim'
}
BATCH_SIZE = 2


def small_width(width: int) -> int:
    """A width of 32 to ~200, growing with log2 of the original."""
    return 16 * max(2, round(math.log2(width)) - 5)


def arch_width(backbone_cfg: dict) -> int:
    arch = backbone_cfg['arch']
    if isinstance(arch, dict):
        return arch['embed_dims']
    backbone_cls = MODELS.get(backbone_cfg['type'])
    return next(setting['embed_dims']
                for names, setting in backbone_cls.arch_zoo.items()
                if arch in (names if isinstance(names, tuple) else (names, )))


def shrink_overrides(node, prefix: str = 'model') -> dict:
    """Dotted overrides making a model 1 layer deep and a few dozen wide."""
    overrides = {}
    for key, value in node.items():
        path = f'{prefix}.{key}'
        if key == 'arch':
            width = small_width(arch_width(node))
            overrides[path] = dict(
                _delete_=True,
                embed_dims=width,
                num_layers=1,
                num_heads=2,
                feedforward_channels=2 * width)
        elif key in CHANNEL_KEYS and isinstance(value, int) and value >= 64:
            overrides[path] = small_width(value)
        elif key == 'decoder_depth':
            overrides[path] = 1
        elif key == 'decoder_num_heads':
            overrides[path] = 2
        elif isinstance(value, dict):
            overrides.update(shrink_overrides(value, path))
    return overrides


@pytest.fixture(scope='module')
def stand_in_root(tmp_path_factory) -> str:
    """An ImageNet-style folder: train/<class>/*.png plus the annotation
    files of ImageNet-1K and of the ImageNet-100 subset."""
    root = make_image_folder(
        str(tmp_path_factory.mktemp('imagenet')), per_class=2, size=96)
    files = sorted(
        osp.relpath(path, osp.join(root, 'train'))
        for path in glob.glob(osp.join(root, 'train', '*', '*.png')))
    os.makedirs(osp.join(root, 'meta'))
    for name in ('train.txt', 'train_in100.txt'):
        with open(osp.join(root, 'meta', name), 'w') as f:
            f.writelines(f'{path} {i % 2}\n' for i, path in enumerate(files))
    return root


def load(config: str, overrides: dict = None):
    cfg = load_config(osp.join(REPO_ROOT, config), overrides)
    init_default_scope(cfg.get('default_scope', 'dilemma_mm'))
    model_cfg = cfg.model
    if cfg.get('data_preprocessor'):  # as the Runner does
        model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    return cfg, model_cfg


def first_batch(cfg, data_root: str) -> dict:
    dataset_cfg = cfg.train_dataloader.dataset
    dataset_cfg.data_root = data_root
    dataset = DATASETS.build(dataset_cfg)
    random.seed(0)
    np.random.seed(0)
    return default_collate([dataset[i] for i in range(BATCH_SIZE)])


@pytest.fixture(autouse=True)
def runtime_info():
    hub = MessageHub.get_current_instance()
    hub.update_info('iter', 0)
    hub.update_info('epoch', 0)
    hub.update_info('max_iters', 100)


def test_configs_found():
    assert len(CPU_CONFIGS) >= 8 and len(PAPER_CONFIGS) >= 16
    for algorithm in ('mocov3', 'dino', 'simclr', 'mae'):
        assert any(f'/{algorithm}_' in c for c in CPU_CONFIGS), algorithm
        assert any(f'/dilemma-{algorithm}_' in c for c in CPU_CONFIGS)


@pytest.mark.parametrize('config', CPU_CONFIGS)
def test_cpu_config_trains_one_iteration(config, stand_in_root):
    cfg, model_cfg = load(config)
    data_root = osp.join(REPO_ROOT, cfg.train_dataloader.dataset.data_root)
    if not osp.isdir(osp.join(data_root, 'train')):
        data_root = stand_in_root
    batch = first_batch(cfg, data_root)
    torch.manual_seed(0)
    model = MODELS.build(model_cfg)
    model.init_weights()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    log_vars = model.train_step(batch, optim_wrapper)
    assert torch.isfinite(log_vars['loss'])
    if 'dilemma' in osp.basename(config):
        assert 'loss_dilemma' in log_vars


@pytest.mark.parametrize('config', PAPER_CONFIGS)
def test_paper_config_builds_and_runs_shrunk(config, stand_in_root):
    cfg, model_cfg = load(config)
    with torch.device('meta'):  # the full-size model, free of charge
        MODELS.build(model_cfg)

    overrides = shrink_overrides(model_cfg)
    overrides.update({'train_dataloader.batch_size': BATCH_SIZE})
    cfg, model_cfg = load(config, overrides)
    batch = first_batch(cfg, stand_in_root)
    torch.manual_seed(0)
    model = MODELS.build(model_cfg)
    model.init_weights()
    losses = model(**model.data_preprocessor(batch, True), mode='loss')
    loss, _ = model.parse_losses(losses)
    assert torch.isfinite(loss)
    loss.backward()
