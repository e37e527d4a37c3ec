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
