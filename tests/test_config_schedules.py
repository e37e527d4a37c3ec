"""Every config's schedule: the ``NNNe`` of its name is its ``max_epochs``,
and each epoch-based parameter scheduler ends by then, the last one at it."""
import glob
import os.path as osp
import re

import pytest
from conftest import REPO_ROOT
from mmengine.config import Config

import dilemma_mm  # noqa: F401  (resolves dilemma_mm:: and mmpretrain::)

CONFIGS = sorted(
    osp.relpath(path, REPO_ROOT) for path in glob.glob(
        osp.join(REPO_ROOT, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in path)
# ...-coslr-300e_in1k.py: the schedule's epochs, before the dataset
NAME_EPOCHS = re.compile(r'-(\d+)e_[^_]+\.py$')


def test_every_config_is_checked():
    assert len(CONFIGS) > 30
    assert all(NAME_EPOCHS.search(osp.basename(c)) for c in CONFIGS)


@pytest.mark.parametrize('config', CONFIGS)
def test_schedule_ends_at_max_epochs_of_the_name(config):
    cfg = Config.fromfile(osp.join(REPO_ROOT, config))
    epochs = int(NAME_EPOCHS.search(osp.basename(config)).group(1))
    assert cfg.train_cfg.max_epochs == epochs, (
        f'{config}: the name says {epochs} epochs')
    schedulers = cfg.param_scheduler
    if isinstance(schedulers, dict):
        schedulers = [schedulers]
    by_epoch = [s for s in schedulers if s.get('by_epoch', True)]
    assert by_epoch, f'{config}: no epoch-based parameter scheduler'
    for scheduler in by_epoch:
        assert scheduler.get('end', epochs) <= epochs, (config, scheduler)
    # the lr schedule of the last phase runs to the end of training
    assert by_epoch[-1].get('end') == epochs, (config, by_epoch[-1])


MAX_DEPTH = 3  # _base_ hops: a DILEMMA config -> its baseline -> _base_/
SIZE = re.compile(r'vit-([a-z]+-p\d+(?:-convstem)?)')


def base_files(path: str) -> list:
    """The ``_base_`` files of ``path``, as repository paths; a base in
    another package (``pkg::``) is kept as written."""
    bases = []
    for base in Config._get_base_files(path):
        if '::' in base:
            bases.append(base)
        else:
            bases.append(
                osp.relpath(
                    osp.normpath(osp.join(osp.dirname(path), base)),
                    REPO_ROOT))
    return bases


def depth(path: str) -> int:
    """The longest chain of ``_base_`` hops from ``path``."""
    bases = [b for b in base_files(osp.join(REPO_ROOT, path)) if '::' not in b]
    return max((1 + depth(b) for b in bases), default=0)


def family(config: str) -> set:
    """The algorithms whose files ``config`` may inherit: its own, and for a
    DILEMMA config its baseline's (``dilemma-mocov3`` -> ``mocov3``)."""
    name = osp.basename(config).split('_')[0]
    return {name, name[len('dilemma-'):]} if name.startswith('dilemma-') \
        else {name}


# tests/test_config_benchmarks.py checks the benchmarks' inheritance.
BENCHMARKS = 'configs/benchmarks/'


@pytest.mark.parametrize('config',
                         [c for c in CONFIGS if not c.startswith(BENCHMARKS)])
def test_flat_inheritance(config):
    """At most MAX_DEPTH levels, within this repository. Another recipe only
    of the same algorithm, and only with the same patches and stem: a ViT-B
    recipe may be its ViT-S sibling with the wider ViT. A sized _base_ file
    only of the size of the recipe above it, a model base only of its
    algorithm: shared pieces live in configs/_base_."""
    assert depth(config) <= MAX_DEPTH, config
    stack = [(config, SIZE.search(osp.basename(config)).group(1))]
    while stack:
        child, size = stack.pop()
        for base in base_files(osp.join(REPO_ROOT, child)):
            assert '::' not in base, f'{config}: inherits {base}'
            base_size = SIZE.search(osp.basename(base))
            if base.startswith('configs/_base_/'):
                assert base_size is None or base_size.group(1) == size, (
                    f'{child} ({size}) inherits {base}')
                # a model base is its algorithm's, or the bare ViT
                # (vit-*.py) that every algorithm's model of that size uses
                if base.startswith('configs/_base_/models/') and \
                        not osp.basename(base).startswith('vit-'):
                    assert family(base) & family(config), (config, base)
                stack.append((base, size))
                continue
            # another recipe: the same algorithm, or a DILEMMA config's
            # baseline, in that algorithm's folder, with the same patches
            assert family(base) <= family(config), (config, base)
            assert osp.basename(
                osp.dirname(base)) in family(config) | {'dilemma'}, (config,
                                                                     base)
            base_size = base_size.group(1)
            assert base_size.split('-')[1:] == size.split('-')[1:], (
                f'{child} ({size}) inherits {base}')
            stack.append((base, base_size))


@pytest.mark.parametrize(
    'base, refused',
    [
        # the MoCo v3 recipe, as the CPU recipes once did
        ('../mocov3/mocov3_vit-tiny-p8-convstem_1xb128-coslr-6e_shapes.py',
         True),
        # MoCo v3's model file
        ('../_base_/models/mocov3_vit-tiny-p8-convstem.py', True),
        # the backbone every CPU recipe shares
        ('../_base_/models/vit-tiny-p8-convstem.py', False),
    ])
def test_flat_inheritance_can_fail(base, refused, monkeypatch):
    # a DINO recipe that inherits another algorithm's file is refused
    monkeypatch.setattr(Config, '_get_base_files', lambda path: [base]
                        if 'dino_' in path else [])
    dino = 'configs/dino/dino_vit-tiny-p8-convstem_1xb128-coslr-6e_shapes.py'
    if refused:
        with pytest.raises(AssertionError, match='mocov3'):
            test_flat_inheritance(dino)
    else:
        test_flat_inheritance(dino)


def test_flat_inheritance_refuses_other_sizes(monkeypatch):
    # a ViT-S recipe on the CPU recipe of its own algorithm (other
    # patches), or on a sized _base_ file of the CPU recipes
    for base in ('./dino_vit-tiny-p8-convstem_1xb128-coslr-6e_shapes.py',
                 '../_base_/models/dino_vit-tiny-p8-convstem.py'):
        monkeypatch.setattr(Config, '_get_base_files', lambda path: [base]
                            if 'small' in path else [])
        with pytest.raises(AssertionError, match='inherits'):
            test_flat_inheritance(
                'configs/dino/dino_vit-small-p16_8xb64-amp-coslr-100e_in1k.py')
