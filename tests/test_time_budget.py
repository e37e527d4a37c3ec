"""Equal-time training: the budget stops training with a resumable
checkpoint, counts resumed time, and stays out of the way without a
budget."""
import glob
import os.path as osp
import re

import pytest
import torch
import torch.nn as nn
from conftest import run_tool
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset

from dilemma_mm.engine.hooks.time_budget_hook import (TIME_SPENT_KEY,
                                                      TimeBudgetHook)

CONFIG = 'configs/mocov3/mocov3_vit-tiny-p8-convstem_1xb128-coslr-6e_shapes.py'


class ToyDataset(Dataset):
    metainfo = dict()

    def __len__(self):
        return 8

    def __getitem__(self, index):
        return dict(inputs=torch.full((2, ), float(index)))


class ToyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.linear(torch.stack(inputs))
        return dict(loss=out.pow(2).mean()) if mode == 'loss' else out


def toy_runner(work_dir, train_cfg, custom_hooks=None, **kwargs):
    return Runner(
        model=ToyModel(),
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=ToyDataset(),
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=2,
            num_workers=0),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=train_cfg,
        custom_hooks=custom_hooks,
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1)),
        default_scope='dilemma_mm',
        experiment_name=f'toy_{osp.basename(str(work_dir))}',
        **kwargs)


def load(path):
    import dilemma_mm  # noqa: F401  (allowlists mmengine's classes)
    return torch.load(path, map_location='cpu', weights_only=True)


def spent_in(checkpoint: dict) -> float:
    return checkpoint['message_hub']['runtime_info'][TIME_SPENT_KEY]


def test_no_budget_trains_all_epochs_and_records_time(tmp_path):
    runner = toy_runner(tmp_path,
                        dict(type='BudgetEpochBasedTrainLoop', max_epochs=2))
    runner.train()
    assert runner.iter == 8 and runner.epoch == 2
    # The loop added the hook, which records time even without a budget.
    assert sum(isinstance(h, TimeBudgetHook) for h in runner.hooks) == 1
    assert spent_in(load(str(tmp_path / 'epoch_2.pth'))) > 0


def test_budget_stops_mid_epoch_with_resumable_checkpoint(tmp_path):
    runner = toy_runner(
        tmp_path,
        dict(type='BudgetEpochBasedTrainLoop', max_epochs=2, time_budget_s=0))
    runner.train()
    # The first iteration spends the budget: no epoch completes.
    assert runner.iter == 1 and runner.epoch == 0
    assert not glob.glob(str(tmp_path / 'epoch_*.pth'))
    ckpt_path = str(tmp_path / 'budget_iter_1.pth')
    assert open(tmp_path / 'last_checkpoint').read() == ckpt_path
    ckpt = load(ckpt_path)
    assert (ckpt['meta']['epoch'], ckpt['meta']['iter']) == (0, 1)
    assert ckpt['meta']['time_budget_stop'] and 'optimizer' in ckpt
    spent = spent_in(ckpt)
    assert spent > 0

    # Resumed with a larger budget, the run finishes and counts on.
    resumed = toy_runner(
        tmp_path,
        dict(
            type='BudgetEpochBasedTrainLoop', max_epochs=2, time_budget_s=1e6),
        resume=True)
    resumed.train()
    # The interrupted epoch is redone from its start: 1 + 2 x 4 iterations.
    assert resumed.iter == 9 and resumed.epoch == 2
    assert spent_in(load(str(tmp_path / 'epoch_2.pth'))) > spent


def test_hook_budget_with_iteration_loop(tmp_path):
    runner = toy_runner(
        tmp_path,
        dict(type='IterBasedTrainLoop', max_iters=20),
        custom_hooks=[dict(type='TimeBudgetHook', budget_s=0)])
    runner.train()
    assert runner.iter == 1
    assert load(str(tmp_path / 'budget_iter_1.pth'))['meta']['iter'] == 1
    with pytest.raises(ValueError):
        TimeBudgetHook(budget_s=-1)


def test_train_tool_budget_stop_then_resume(tiny_image_folder, tmp_path):
    options = [
        '--cfg-options', f'train_dataloader.dataset.data_root='
        f'{tiny_image_folder}', 'train_dataloader.batch_size=4',
        'train_dataloader.num_workers=0', 'model.backbone.arch.num_layers=1',
        'default_hooks.logger.interval=1',
        'train_cfg.type=BudgetEpochBasedTrainLoop', 'train_cfg.max_epochs=500'
    ]
    work_dir = tmp_path / 'work'
    proc = run_tool(['tools/train.py', CONFIG, '--work-dir', work_dir] +
                    options + ['train_cfg.time_budget_s=2'])
    assert 'Time budget spent' in proc.stdout
    first = open(work_dir / 'last_checkpoint').read()
    assert re.search(r'budget_iter_\d+\.pth$', first)
    meta = load(first)['meta']
    # the budget stopped the run, not the end of its 500 epochs, however
    # fast the machine: the budget checkpoint says so
    assert meta['time_budget_stop'] and meta['iter'] >= 1
    spent = spent_in(load(first))
    assert spent >= 2  # stopped once the budget was spent, not before

    proc = run_tool(
        ['tools/train.py', CONFIG, '--work-dir', work_dir, '--resume'] +
        options + ['train_cfg.time_budget_s=4'])
    assert (f'resumed epoch: {meta["epoch"]}, iter: {meta["iter"]}'
            in proc.stdout)
    assert f'{spent:.1f} s spent before this run' in proc.stdout
    second = open(work_dir / 'last_checkpoint').read()
    assert second != first
    assert load(second)['meta']['iter'] > meta['iter']
    assert spent_in(load(second)) >= 4


def test_hook_with_plain_epoch_loop_stops_after_the_epoch(tmp_path):
    runner = toy_runner(
        tmp_path,
        dict(type='EpochBasedTrainLoop', max_epochs=3),
        custom_hooks=[dict(type='TimeBudgetHook', budget_s=0)])
    runner.train()
    # mmengine's loop checks stop_training between epochs only.
    assert runner.epoch == 1 and runner.iter == 4
    assert [osp.basename(p) for p in glob.glob(str(tmp_path / 'budget_*'))
            ] == ['budget_iter_1.pth']
