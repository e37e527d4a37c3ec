"""Benchmark configs load images safely and inherit flatly (issues 11, 13).

Training skips a bad image (``LoadImageFromFileSafe``; ``tools/train.py``
adds the ``BadImageHook`` that names and bounds the skips); validation and
test name the file and stop (``on_error='raise'``). Every config is at most
three _base_ hops deep and inherits nothing from another package; a model
base is of the size of the config above it (a ViT-B config may be its ViT-S
sibling with the wider ViT).
"""
import glob
import os.path as osp

import pytest
from conftest import REPO_ROOT
from mmengine.config import Config

from dilemma_mm.utils import load_config

BENCHMARKS = osp.join(REPO_ROOT, 'configs', 'benchmarks')
CONFIGS = sorted(glob.glob(osp.join(BENCHMARKS, '*.py')))
IMAGENET = [c for c in CONFIGS if c.endswith(('_in1k.py', '_in100.py'))]
LOADERS = ('LoadImageFromFile', 'LoadImageFromFileSafe')


def image_loaders(dataset: dict) -> list:
    """The image-loading transforms of a dataset config's pipeline, through
    dataset wrappers (``dataset``/``datasets``)."""
    found = [
        t for t in dataset.get('pipeline', [])
        if str(t.get('type')).split('.')[-1] in LOADERS
    ]
    for inner in [dataset.get('dataset')] + list(dataset.get('datasets', [])):
        if inner:
            found += image_loaders(inner)
    return found


def test_the_imagenet_benchmarks_are_checked():
    assert len(IMAGENET) == 8


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_images_are_loaded_safely(path):
    cfg = load_config(path)
    for split in ('train', 'val', 'test'):
        loaders = image_loaders(cfg[f'{split}_dataloader']['dataset'])
        assert loaders, f'{split}: no image loader found'
        for loader in loaders:
            assert loader['type'].split('.')[-1] == 'LoadImageFromFileSafe', (
                f'{split} pipeline loads with {loader["type"]}')
            # Training skips; an evaluation stops at the file it names.
            expected = 'skip' if split == 'train' else 'raise'
            assert loader.get('on_error', 'skip') == expected, split


def inheritance_chains(path: str) -> list:
    """Every chain of config files from ``path`` up through its bases."""
    names = Config._get_base_files(path)
    # mmpretrain's bases would mark their dicts with its scope
    assert not [n for n in names if '::' in n], (path, names)
    bases = [Config._get_cfg_path(base, path)[0] for base in names]
    if not bases:
        return [[path]]
    return [[path] + chain for base in bases
            for chain in inheritance_chains(base)]


def backbone_of(name: str) -> list:
    """``['vit', 'base', 'p16']`` of ``vit-base-p16_...`` or
    ``vit-base-p16_ft.py``."""
    return osp.splitext(osp.basename(name))[0].split('_')[0].split('-')


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_inheritance_is_flat(path):
    chains = inheritance_chains(path)
    deepest = max(chains, key=len)
    assert len(deepest) <= 4, ' -> '.join(map(osp.basename, deepest))
    for chain in chains:
        # another config: of any width, with the same patches and stem; a
        # sized _base_ file: of the nearest config's size above it
        backbone = backbone_of(path)
        for child, base in zip(chain, chain[1:]):
            message = f'{osp.basename(child)} inherits {osp.basename(base)}'
            if '_base_' not in base.split(osp.sep):
                assert backbone_of(base)[2:] == backbone[2:], message
                backbone = backbone_of(base)
            elif osp.basename(base).startswith('vit-'):
                assert backbone_of(base) == backbone, message


def test_inheritance_rule_can_fail(monkeypatch):
    base_files = {
        # a ViT-B config on the ViT-S model base
        'vit-base-p16_dilemma-mocov3-300e-pre_8xb128-ft-coslr-100e_in1k.py':
        ['./_base_/models/vit-small-p16_ft.py'],
        # a ViT-S config on the CPU probe
        'vit-small-p16_dilemma-mocov3-300e-pre_8xb128-ft-coslr-100e_in1k.py': [
            './vit-tiny-p8-convstem_dilemma-mocov3-8e-pre_1xb128-linear-'
            'coslr-5e_shapes.py'
        ],
    }
    monkeypatch.setattr(Config, '_get_base_files',
                        lambda path: base_files.get(osp.basename(path), []))
    for name in base_files:
        with pytest.raises(AssertionError, match='inherits'):
            test_inheritance_is_flat(osp.join(BENCHMARKS, name))
