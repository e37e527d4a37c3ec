"""The downstream example project trains dilemma_mm's DilemmaViT from
mmpretrain's scope, with a component of its own scope, via our train tool."""
import os
import os.path as osp
import re

import torch
from conftest import REPO_ROOT, run_tool
from mmengine.config import Config
from mmengine.registry import DefaultScope

import dilemma_mm  # noqa: F401

PROJECT = osp.join(REPO_ROOT, 'projects', 'example')
CONFIG = 'projects/example/configs/dilemma_vit-tiny-p8_1xb8-2e_example.py'


def test_config_builds_across_scopes(monkeypatch):
    monkeypatch.syspath_prepend(PROJECT)
    cfg = Config.fromfile(osp.join(REPO_ROOT, CONFIG))  # custom_imports
    assert cfg.default_scope == 'mmpretrain'
    from mmpretrain.registry import MODELS
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
    assert type(model).__module__.startswith('dilemma_mm')
    assert type(model.backbone).__name__ == 'DilemmaViT'
    assert type(
        model.misplacement_head).__module__.startswith('example_project')


def test_trains_two_iterations(tiny_image_folder, tmp_path):
    pythonpath = os.pathsep.join(
        p for p in (PROJECT, os.environ.get('PYTHONPATH')) if p)
    proc = run_tool([
        'tools/train.py', CONFIG, '--work-dir', tmp_path, '--cfg-options',
        f'train_dataloader.dataset.data_root={tiny_image_folder}',
        'train_cfg.max_epochs=1'
    ],
                    env=dict(PYTHONPATH=pythonpath))
    # 16 images, batch 8
    assert re.search(r'Epoch\(train\) \[1\]\[2/2\].*loss_dilemma', proc.stdout)
    checkpoint = torch.load(
        tmp_path / 'epoch_1.pth', map_location='cpu', weights_only=True)
    keys = checkpoint['state_dict'].keys()
    assert 'backbone.cls_token' in keys
    assert 'misplacement_head.classifier.weight' in keys
