"""Patch occlusion and shuffling, and the occlusion tool on a classifier
that looks only at the centre patch."""
import importlib
import json
import os
import os.path as osp
import sys

import numpy as np
import pytest
import torch
from conftest import run_tool
from PIL import Image

from dilemma_mm.evaluation.occlusion import (evaluate_occlusion, from_patches,
                                             occlude_patches,
                                             random_patch_order,
                                             shuffle_patches, to_patches)

PATCH = 8
SIZE = 40  # a 5 x 5 grid: patch 12 is the centre
CENTRE = slice(2 * PATCH, 3 * PATCH)

# A backbone that reports the mean colour of the centre patch, registered
# from a module that the tool imports through the config's custom_imports.
CENTRE_MODULE = f'''
import torch.nn as nn
from mmengine.model import BaseModule
from dilemma_mm.registry import MODELS


@MODELS.register_module(force=True)
class CentrePatchBackbone(BaseModule):
    patch_size = {PATCH}

    def forward(self, x):
        return (x[:, :, {CENTRE.start}:{CENTRE.stop},
                  {CENTRE.start}:{CENTRE.stop}].mean(dim=(2, 3)), )
'''

CENTRE_CONFIG = '''
custom_imports = dict(imports=['centre_patch_backbone'])
default_scope = 'dilemma_mm'
model = dict(
    type='ImageClassifier',
    data_preprocessor=dict(
        num_classes=2,
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True),
    backbone=dict(type='CentrePatchBackbone'),
    head=dict(type='LinearClsHead', num_classes=2, in_channels=3))
test_dataloader = dict(
    batch_size=16,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='CustomDataset',
        data_root='{data_root}',
        data_prefix='val',
        pipeline=[dict(type='LoadImageFromFile'), dict(type='PackInputs')]))
'''


def centre_colour_folder(root: str, per_class: int = 20) -> str:
    """Random patch colours; the centre patch is red (class ``a_red``) or
    green (``b_green``)."""
    rng = np.random.default_rng(0)
    for name, colour in (('a_red', (255, 0, 0)), ('b_green', (0, 255, 0))):
        folder = osp.join(root, 'val', name)
        os.makedirs(folder, exist_ok=True)
        for i in range(per_class):
            grid = rng.integers(0, 256, (5, 5, 3))
            grid[2, 2] = colour
            pixels = np.kron(grid, np.ones((PATCH, PATCH, 1)))
            Image.fromarray(pixels.astype(np.uint8)).save(
                osp.join(folder, f'{i}.png'))
    return root


@pytest.fixture
def centre_setup(tmp_path, monkeypatch):
    """A config, a checkpoint of the centre classifier and the data."""
    (tmp_path / 'centre_patch_backbone.py').write_text(CENTRE_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    data_root = centre_colour_folder(str(tmp_path / 'data'))
    config = tmp_path / 'centre_classifier.py'
    config.write_text(CENTRE_CONFIG.format(data_root=data_root))

    from mmengine.registry import init_default_scope

    from dilemma_mm.registry import MODELS
    from dilemma_mm.utils import load_config
    importlib.import_module('centre_patch_backbone')
    init_default_scope('dilemma_mm')
    model = MODELS.build(load_config(str(config)).model)
    # Red beats green when the centre's red exceeds its green; a zeroed
    # centre ties and argmax says red.
    model.head.fc.weight.data = torch.tensor([[1., -1., 0.], [-1., 1., 0.]])
    model.head.fc.bias.data.zero_()
    checkpoint = tmp_path / 'centre.pth'
    torch.save(
        dict(meta=dict(), state_dict=model.state_dict()), str(checkpoint))
    yield dict(config=str(config), checkpoint=str(checkpoint), model=model)
    sys.modules.pop('centre_patch_backbone', None)


def test_patches_round_trip_and_corruptions():
    images = torch.randn(3, 2, SIZE, SIZE)
    assert torch.equal(
        from_patches(to_patches(images, PATCH), SIZE, SIZE), images)
    gen = torch.Generator().manual_seed(0)
    order = random_patch_order(3, 25, gen)
    zeroed = {}
    for ratio in (0., .3, .6, 1.):
        out = to_patches(occlude_patches(images, order, ratio, PATCH), PATCH)
        is_zero = (out.flatten(2) == 0).all(dim=2)  # (B, L)
        assert is_zero.sum(1).tolist() == [round(ratio * 25)] * 3
        zeroed[ratio] = is_zero
    # Nested: a patch zeroed at 30 % stays zeroed at 60 %.
    assert not (zeroed[.3] & ~zeroed[.6]).any()
    with pytest.raises(ValueError):
        occlude_patches(images, order, 1.5, PATCH)
    with pytest.raises(ValueError, match='multiple of the patch size'):
        occlude_patches(images[..., :-1], order, .5, PATCH)

    # Shuffling moves patches but keeps every one of them.
    assert torch.equal(shuffle_patches(images, order, 0., PATCH), images)
    shuffled = shuffle_patches(images, order, 1., PATCH, gen)
    before, after = to_patches(images, PATCH), to_patches(shuffled, PATCH)
    assert not torch.equal(before, after)
    for b in range(3):
        rows_before = sorted(map(tuple, before[b].flatten(1).tolist()))
        rows_after = sorted(map(tuple, after[b].flatten(1).tolist()))
        assert rows_before == rows_after
    # Only the chosen half may move.
    half = shuffle_patches(images, order, .5, PATCH, gen)
    kept = order[:, round(.5 * 25):]
    rows = torch.arange(3)[:, None]
    assert torch.equal(to_patches(half, PATCH)[rows, kept], before[rows, kept])


def test_centre_classifier_accuracy_falls_with_occlusion(centre_setup):
    from mmengine.runner import Runner

    from dilemma_mm.utils import load_config
    cfg = load_config(centre_setup['config'])
    loader = Runner.build_dataloader(cfg.test_dataloader)
    ratios = [i / 10 for i in range(10)]
    top1, num = evaluate_occlusion(centre_setup['model'], loader, PATCH,
                                   ratios)
    assert num == 40
    zero, shuffle = top1['zero'], top1['shuffle']
    assert zero[0] == shuffle[0] == 100.
    assert all(a >= b for a, b in zip(zero, zero[1:]))  # nested masks
    # The centre is hidden in ~90 % of images, half of which still read
    # as red: about 55 %.
    assert 35 < zero[-1] < 75 and shuffle[-1] < 80
    # The same seed gives the same numbers.
    again, _ = evaluate_occlusion(centre_setup['model'], loader, PATCH, ratios)
    assert again == top1


def test_occlusion_tool(centre_setup, tmp_path):
    out = tmp_path / 'plots' / 'centre.png'
    proc = run_tool([
        'tools/analysis_tools/occlusion_eval.py', centre_setup['config'],
        centre_setup['checkpoint'], '--out',
        str(out), '--ratios', '0,0.2,0.4,0.6,0.8', '--num-workers', '0'
    ],
                    env=dict(PYTHONPATH=str(tmp_path)))
    assert 'Top-1 (%) of 40 images with 8 px patches corrupted:' in (
        proc.stdout)
    lines = proc.stdout.splitlines()
    header = lines.index(
        next(line for line in lines if line.startswith('occluded')))
    assert lines[header].split() == ['occluded', 'zero', 'shuffle']
    table = [line.split() for line in lines[header + 1:header + 6]]
    assert [row[0] for row in table] == ['0', '20', '40', '60', '80']
    zero = [float(row[2]) for row in table]
    assert zero[0] == 100. and all(a >= b for a, b in zip(zero, zero[1:]))
    assert zero[-1] < zero[0]

    assert out.is_file() and out.stat().st_size > 1000
    assert out.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    result = json.loads((tmp_path / 'plots' / 'centre.json').read_text())
    assert result['ratios'] == [0, .2, .4, .6, .8]
    assert result['top1']['zero'] == zero
    assert result['patch_size'] == PATCH and result['chance'] == 50.

    proc = run_tool([
        'tools/analysis_tools/occlusion_eval.py', centre_setup['config'],
        centre_setup['checkpoint'], '--out',
        str(tmp_path / 'zero.png'), '--mode', 'zero', '--ratios', '0,0.5'
    ],
                    env=dict(PYTHONPATH=str(tmp_path)))
    assert json.loads(
        (tmp_path / 'zero.json').read_text())['top1'].keys() == {'zero'}


def test_occlusion_tool_refuses_a_partial_checkpoint(centre_setup, tmp_path):
    # Issue 11, loading: a checkpoint without the head's bias and with a key
    # the model lacks is refused, naming both, and nothing is written;
    # --allow-partial evaluates it and records the keys in the JSON.
    state = centre_setup['model'].state_dict()
    del state['head.fc.bias']
    state['backbone.extra.weight'] = torch.zeros(1)
    partial = str(tmp_path / 'partial.pth')
    torch.save(dict(meta=dict(), state_dict=state), partial)
    out = tmp_path / 'partial' / 'centre.png'
    tool = [
        'tools/analysis_tools/occlusion_eval.py', centre_setup['config'],
        partial, '--out',
        str(out), '--ratios', '0,0.5', '--mode', 'zero'
    ]
    env = dict(PYTHONPATH=str(tmp_path))
    proc = run_tool(tool, env=env, check=False)
    assert proc.returncode == 1
    assert (f'PartialCheckpointError: {partial} does not fit the model: '
            'missing keys 1 (head.fc.bias), unexpected keys 1 '
            '(backbone.extra.weight).') in proc.stdout
    assert 'Top-1' not in proc.stdout and not out.parent.exists()

    proc = run_tool(tool + ['--allow-partial'], env=env)
    result = json.loads((tmp_path / 'partial' / 'centre.json').read_text())
    assert result['partial_load'] == dict(
        missing_keys=['head.fc.bias'],
        unexpected_keys=['backbone.extra.weight'])
    assert len(result['top1']['zero']) == 2 and 'Top-1' in proc.stdout
