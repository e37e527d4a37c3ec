"""One schedule-fitting rule (dilemma_mm/engine/schedule.py) for
tools/train.py --epochs, the demo, the equal-time tools and the time-budget
loop: warm-up kept (at most half the run), the rest stretched; a warning
when max_epochs and the schedulers disagree."""
import json
import os
import os.path as osp
import uuid

import pytest
from conftest import load_tool, run_tool
from mmengine.config import Config
from mmengine.hooks import Hook
from test_time_budget import ToyDataset, ToyModel, load
from two_ranks import init_gloo, run_on_two_ranks

from dilemma_mm.engine import schedule
from dilemma_mm.engine.hooks import time_budget_hook
from dilemma_mm.engine.runners.budget_loop import (FITTED_EPOCHS_KEY,
                                                   BudgetEpochBasedTrainLoop)
from dilemma_mm.engine.schedule import (fit_param_schedulers, fit_schedule,
                                        schedule_mismatch)
from dilemma_mm.utils import load_config

SHAPES = ('configs/dilemma/'
          'dilemma-mocov3_vit-tiny-p8-convstem_1xb128-coslr-8e_shapes.py')
DINO = 'configs/dino/dino_vit-tiny-p8-convstem_1xb128-coslr-6e_shapes.py'
CONFIG = 'configs/mocov3/mocov3_vit-tiny-p8-convstem_1xb128-coslr-6e_shapes.py'
WARMUP_COSINE = [
    dict(
        type='LinearLR',
        start_factor=1e-3,
        begin=0,
        end=1,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=7,
        begin=1,
        end=8,
        convert_to_iter_based=True),
]


def spans(schedulers):
    return [(s['begin'], s['end'], s.get('T_max')) for s in schedulers]


@pytest.mark.parametrize(
    'epochs, expected',
    [
        (8, [(0, 1, None), (1, 8, 7)]),  # unchanged
        (3, [(0, 1, None), (1, 3, 2)]),  # warm-up kept, cosine shrunk
        (20, [(0, 1, None), (1, 20, 19)]),  # and stretched
        (1, [(0, .5, None), (.5, 1, .5)]),  # warm-up: half the run at most
    ])
def test_warmup_kept_rest_stretched(epochs, expected):
    assert spans(fit_param_schedulers(WARMUP_COSINE, epochs)) == expected


def test_per_epoch_warmup_without_room_is_dropped():
    schedulers = [dict(s, convert_to_iter_based=False) for s in WARMUP_COSINE]
    fitted = fit_param_schedulers(schedulers, 1)
    assert fitted[0] is None and spans(fitted[1:]) == [(0, 1, 1)]


def test_dino_weight_decay_and_teacher_temperature_follow():
    cfg = load_config(DINO)
    fit_schedule(cfg, 3)
    warmup, cosine, decay = cfg.param_scheduler
    assert (warmup.begin, warmup.end) == (0, 1)
    assert (cosine.begin, cosine.end, cosine.T_max) == (1, 3, 2)  # was 6, 5
    # the weight-decay cosine runs over the whole run
    assert decay.param_name == 'weight_decay' and (decay.begin,
                                                   decay.end) == (0, 3)
    assert cfg.custom_hooks[0].warmup_epochs == 1  # was 2 of 6
    assert cfg.train_cfg.max_epochs == 3
    assert schedule_mismatch(cfg) is None


def test_mismatch_is_named():
    cfg = load_config(SHAPES)
    assert schedule_mismatch(cfg) is None
    cfg.train_cfg.max_epochs = 3
    assert 'ends at epoch 8, after the run' in schedule_mismatch(cfg)
    cfg.train_cfg.max_epochs = 12
    assert 'the last 4 epochs keep the final values' in schedule_mismatch(cfg)


def lr_per_iter(work_dir: str) -> list:
    """The logged learning rate of every iteration of a run."""
    (scalars, ) = [
        osp.join(work_dir, d, 'vis_data', 'scalars.json')
        for d in sorted(os.listdir(work_dir))
        if osp.isfile(osp.join(work_dir, d, 'vis_data', 'scalars.json'))
    ]
    return [
        round(r['lr'], 12) for r in map(json.loads, open(scalars)) if 'lr' in r
    ]


def tiny(data_root: str, *extra: str) -> list:
    return [
        '--cfg-options', f'train_dataloader.dataset.data_root={data_root}',
        'train_dataloader.batch_size=4', 'train_dataloader.num_workers=0',
        'model.backbone.arch.num_layers=1', 'default_hooks.logger.interval=1',
        'default_hooks.checkpoint.max_keep_ckpts=1', *extra
    ]


def test_train_epochs_refits_and_warns(tiny_image_folder, tmp_path):
    """`tools/train.py --epochs 1` trains one epoch on a valid schedule; a
    max_epochs that leaves the cosine unfinished is warned about."""
    proc = run_tool([
        'tools/train.py', SHAPES, '--work-dir', tmp_path /
        'one', '--epochs', '1'
    ] + tiny(tiny_image_folder))
    assert 'Schedule fitted to 1 epoch: train_cfg.max_epochs 8 -> 1' \
        in proc.stdout
    assert osp.isfile(tmp_path / 'one' / 'epoch_1.pth')
    lrs = lr_per_iter(str(tmp_path / 'one'))
    assert len(lrs) == 4 and lrs[0] < max(lrs) > lrs[-1]  # warm-up, cosine

    proc = run_tool(
        ['tools/train.py', SHAPES, '--work-dir', tmp_path / 'three'] +
        tiny(tiny_image_folder, 'train_cfg.max_epochs=1'))
    assert ('train_cfg.max_epochs is 1, but param_scheduler.1 '
            '(CosineAnnealingLR) ends at epoch 8' in proc.stdout)

    proc = run_tool(
        ['tools/train.py', SHAPES, '--epochs', '2'] +
        tiny(tiny_image_folder, 'train_cfg.max_epochs=3'),
        check=False)
    assert proc.returncode != 0
    assert 'give one of --epochs and train_cfg.max_epochs' in proc.stdout
    proc = run_tool(['tools/train.py', SHAPES, '--epochs', '0'], check=False)
    assert 'must be a positive integer' in proc.stdout


def toy_runner(work_dir,
               train_cfg,
               param_scheduler,
               name=None,
               clock=None,
               **kwargs):
    """A runner of the toy model. Its name is unique unless given: mmengine
    shares one MessageHub between runners of the same name built within
    the same second, and a fitted length read from another test's hub cut
    a run short. A :class:`SteppingClock` given as ``clock`` is moved by
    the runner's iterations."""
    from mmengine.runner import Runner
    runner = Runner(
        model=ToyModel(),
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=ToyDataset(),
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=2,
            num_workers=0),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        param_scheduler=param_scheduler,
        train_cfg=train_cfg,
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=3)),
        default_scope='dilemma_mm',
        experiment_name=name
        or f'toy_{osp.basename(str(work_dir))}_{uuid.uuid4().hex[:8]}',
        **kwargs)
    if clock is not None:
        runner.register_hook(clock)
    return runner


class LrRecorder(Hook):
    """Reads the learning rate after every iteration of a toy runner."""

    priority = 'LOWEST'

    def __init__(self, runner):
        self.lrs = []
        runner.register_hook(self)

    def after_train_iter(self, runner, *args, **kwargs):
        self.lrs.append(round(runner.optim_wrapper.param_groups[0]['lr'], 12))


class SteppingClock(Hook):
    """``perf_counter`` of the time-budget hook, as a hook of the toy
    runner that moves it: an iteration costs one second, reading the clock
    costs none; ``startup_s`` more seconds pass in the first epoch, as data
    workers and first allocations take them in a real run, and
    ``slowdown_s`` more in each epoch than in the one before it."""

    priority = 'HIGHEST'  # before the time-budget hook reads it

    def __init__(self):
        self.now = 0
        self.startup_s = 0
        self.slowdown_s = 0

    def perf_counter(self):
        return self.now

    def before_train_epoch(self, runner):
        if runner.epoch == 0:
            self.now += self.startup_s
        self.now += self.slowdown_s * runner.epoch

    def after_train_iter(self, runner, *args, **kwargs):
        self.now += 1


@pytest.fixture
def seconds_per_iteration(monkeypatch):
    """The :class:`SteppingClock` of the time-budget hook; give it to the
    runner (``toy_runner(..., clock=)``) to move it."""
    clock = SteppingClock()
    monkeypatch.setattr(time_budget_hook, 'time', clock)
    return clock


# 20 planned epochs: a warm-up of 2, then a cosine.
BUDGET_SCHEDULERS = [
    dict(
        type='LinearLR',
        start_factor=0.01,
        begin=0,
        end=2,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=18,
        begin=2,
        end=20,
        convert_to_iter_based=True),
]


def budget_run(work_dir, clock, budget_s=22, name=None, **loop):
    """Train the toy runner (4 iterations an epoch, on ``clock``) 20
    planned epochs with a ``budget_s`` budget, fitted after the first
    epoch and refitted after every later one unless ``refit=False``; the
    runner, the learning rates it went through and the length planned
    after each epoch."""
    runner = toy_runner(
        work_dir,
        dict(
            type='BudgetEpochBasedTrainLoop',
            max_epochs=20,
            time_budget_s=budget_s,
            fit_schedule=True,
            **loop),
        BUDGET_SCHEDULERS,
        name=name,
        clock=clock)
    lrs = LrRecorder(runner)
    plans = []

    class PlanRecorder(Hook):

        def after_train_epoch(self, runner):
            plans.append(runner.max_epochs)

    runner.register_hook(PlanRecorder())
    runner.train()
    return runner, lrs, plans


def planned_lrs(work_dir, epochs):
    """The learning rates of the toy runner planned for ``epochs``."""
    planned = toy_runner(work_dir,
                         dict(type='EpochBasedTrainLoop', max_epochs=epochs),
                         fit_param_schedulers(BUDGET_SCHEDULERS, epochs))
    lrs = LrRecorder(planned)
    planned.train()
    return lrs.lrs


def test_budget_fits_epochs_and_schedule(tmp_path, seconds_per_iteration):
    """20 planned epochs of 4 s, a 22 s budget (18 s left after the
    first): the loop fits 5 epochs, the refits at the same speed keep
    them, and the learning rate of every iteration is that of a run
    planned for 5 epochs."""
    runner, budget, plans = budget_run(tmp_path / 'budget',
                                       seconds_per_iteration)
    assert runner.epoch == 5 and runner.iter == 20
    assert plans == [5] * 5
    ckpt = load(str(tmp_path / 'budget' / 'epoch_5.pth'))  # the last saved
    assert ckpt['message_hub']['runtime_info'][FITTED_EPOCHS_KEY] == 5

    straight = planned_lrs(tmp_path / 'planned', 5)
    assert budget.lrs == straight
    assert budget.lrs[-1] < 0.05 * max(budget.lrs)  # the cosine ran out


def test_ceil_rounding_lets_the_budget_cut_the_last_epoch(
        tmp_path, seconds_per_iteration):
    """The run above with fit_rounding='ceil': 18 s left at 4 s an epoch
    fit 4.5 epochs, so 6 are planned and the budget stops the sixth; up to
    there the learning rate is that of a run planned for 6 epochs."""
    runner, budget, _ = budget_run(
        tmp_path / 'budget', seconds_per_iteration, fit_rounding='ceil')
    assert runner.train_loop.max_epochs == 6
    assert runner.iter == 22  # stopped inside the sixth epoch, at 22 s
    stop = load(str(tmp_path / 'budget' / 'budget_iter_22.pth'))
    assert stop['message_hub']['runtime_info'][FITTED_EPOCHS_KEY] == 6
    assert stop['message_hub']['runtime_info']['time_spent_s'] == 22

    straight = planned_lrs(tmp_path / 'planned', 6)
    assert budget.lrs == straight[:len(budget.lrs)]


@pytest.mark.parametrize('refit', [False, True])
def test_refit_after_the_second_epoch_spends_the_budget(
        tmp_path, seconds_per_iteration, refit):
    """A first epoch slowed by 10 s of start-up (14 s against 4 s for the
    next) makes a fit from it plan too few epochs, and the run ends well
    before its 60 s budget. Fitting again from the second epoch plans the
    epochs the rest allows, the budget cuts the last, and from then on
    the learning rate is that of a run planned for that length."""
    clock = seconds_per_iteration
    clock.startup_s = 10
    runner, budget, plans = budget_run(
        tmp_path / 'budget',
        clock,
        budget_s=60,
        fit_rounding='ceil',
        refit=refit)
    spent = runner.message_hub.get_info('time_spent_s')
    if not refit:
        # 46 s left after 14: 3.3 epochs more, so 5 (ceil), all done at 30.
        assert plans == [5] * 5 and runner.iter == 20 and spent == 30
        return
    # After epoch 2, 42 s left at 4 s an epoch: 10.5 more, so 13 planned,
    # and the budget stops the thirteenth, at 60 s.
    assert plans == [5] + [13] * 11
    assert runner.train_loop.max_epochs == 13 and runner.iter == 50
    ckpt = load(str(tmp_path / 'budget' / 'budget_iter_50.pth'))
    info = ckpt['message_hub']['runtime_info']
    assert info[FITTED_EPOCHS_KEY] == 13
    assert info['budget_fitted_after_epoch'] == 12
    assert info['budget_timed_since'] == [1, 14]  # the second epoch's start
    straight = planned_lrs(tmp_path / 'planned', 13)
    assert budget.lrs[8:] == straight[8:len(budget.lrs)]


def test_refit_every_epoch_lets_a_slowing_run_end_its_cosine(
        tmp_path, seconds_per_iteration):
    """Epochs that each take a second longer than the one before (4, 5,
    6, ... s): the fit from the second epoch alone plans 13 epochs, and
    the 60 s budget would stop the eighth, 24 of the cosine's 44
    iterations in, at 43 % of the peak learning rate. Refitted from the
    mean epoch time after every epoch, the plan shrinks as the epochs slow
    (9 at the end) and the budget stops the run at 5 % of the peak."""
    clock = seconds_per_iteration
    clock.slowdown_s = 1
    runner, budget, plans = budget_run(
        tmp_path / 'budget', clock, budget_s=60, fit_rounding='ceil')
    assert plans == [15, 13, 12, 11, 10, 9, 9]
    assert runner.iter == 32 and runner.train_loop.max_epochs == 9
    peak = max(budget.lrs)
    assert budget.lrs[-1] < 0.06 * peak
    assert planned_lrs(tmp_path / 'planned', 13)[31] > 0.4 * peak


class WarmupArgHook(Hook):
    """A hook with an epoch-valued argument, as DINO's teacher warm-up."""

    def __init__(self, warmup_epochs):
        self.warmup_epochs = warmup_epochs


def test_refit_gives_back_the_warm_up_a_first_fit_cut(tmp_path,
                                                      seconds_per_iteration,
                                                      monkeypatch):
    """The run of 10 s start-up above with a hook's 8-epoch warm-up: the
    first fit (5 epochs) cuts it to 2, the refit (13 epochs) makes it 6,
    as a run planned for 13 epochs would have it, not 2."""
    monkeypatch.setitem(schedule.EPOCH_HOOK_ARGS, 'WarmupArgHook',
                        ('warmup_epochs', ))
    seconds_per_iteration.startup_s = 10
    runner = toy_runner(
        tmp_path,
        dict(
            type='BudgetEpochBasedTrainLoop',
            max_epochs=20,
            time_budget_s=60,
            fit_schedule=True,
            fit_rounding='ceil'),
        BUDGET_SCHEDULERS,
        clock=seconds_per_iteration,
        custom_hooks=[WarmupArgHook(warmup_epochs=8)])
    warmups = []
    hook = next(h for h in runner.hooks if isinstance(h, WarmupArgHook))

    class Recorder(Hook):

        def after_train_epoch(self, runner):
            warmups.append(hook.warmup_epochs)

    runner.register_hook(Recorder())
    runner.train()
    assert runner.train_loop.max_epochs == 13
    assert warmups[:3] == [2, 6, 6]


def _rank0_clock_on_rank(rank: int, port: int, out_dir: str) -> None:
    """Each rank's own clock (rank 1 started 3 s later, its epoch looks
    4 s shorter) goes into the fit; what the fit gets is written out."""
    init_gloo(rank, port)
    figures = BudgetEpochBasedTrainLoop._rank0_clock(20. - 4 * rank,
                                                     70. + 3 * rank)
    with open(osp.join(out_dir, f'rank{rank}.json'), 'w') as f:
        json.dump(figures, f)


def test_every_rank_fits_from_rank0_clock(tmp_path):
    """Ranks start their clocks apart; fitted from their own, they could
    plan different lengths and hang. Both get rank 0's epoch time and
    seconds left."""
    run_on_two_ranks(_rank0_clock_on_rank, tmp_path)
    for rank in (0, 1):
        with open(tmp_path / f'rank{rank}.json') as f:
            assert json.load(f) == [20., 70.]


def test_fit_rounding_is_checked(tmp_path):
    with pytest.raises(ValueError, match="fit_rounding must be 'floor' or"):
        toy_runner(
            tmp_path,
            dict(
                type='BudgetEpochBasedTrainLoop',
                max_epochs=2,
                time_budget_s=9,
                fit_schedule=True,
                fit_rounding='round'), []).train()


def test_resumed_budget_run_keeps_fitted_length(tmp_path,
                                                seconds_per_iteration):
    train_cfg = dict(
        type='BudgetEpochBasedTrainLoop',
        max_epochs=20,
        time_budget_s=14,
        fit_schedule=True)
    schedulers = [dict(type='CosineAnnealingLR', T_max=20, begin=0, end=20)]
    toy_runner(
        tmp_path,
        dict(train_cfg, max_epochs=2),
        schedulers,
        clock=seconds_per_iteration).train()
    resumed = toy_runner(
        tmp_path,
        train_cfg,
        schedulers,
        name='resumed',
        clock=seconds_per_iteration,
        resume=True)
    resumed.train()
    # Fitted to 2 (its cap) in the first run; resuming does not train on.
    assert resumed.epoch == 2


def test_resumed_budget_run_refits_from_the_saved_timing(
        tmp_path, seconds_per_iteration):
    """The 22 s ceil run above, stopped by its budget in the sixth epoch
    and resumed with 42 s: it redoes the sixth epoch (26 s spent), then
    refits from the epochs timed before the stop, 22 s over 5 since the
    second began, to 6 + 16 / 4.4 = 9.6, so 10 epochs."""
    clock = seconds_per_iteration
    budget_run(tmp_path, clock, fit_rounding='ceil', name='first')
    resumed = toy_runner(
        tmp_path,
        dict(
            type='BudgetEpochBasedTrainLoop',
            max_epochs=20,
            time_budget_s=42,
            fit_schedule=True,
            fit_rounding='ceil'),
        BUDGET_SCHEDULERS,
        name='resumed',
        clock=clock,
        resume=True)
    resumed.train()
    assert resumed.train_loop.max_epochs == 10
    assert resumed.message_hub.get_info('budget_timed_since') == [1, 4]


def test_fit_schedule_refuses_iteration_loops():
    cfg = Config(dict(train_cfg=dict(type='IterBasedTrainLoop', max_iters=9)))
    with pytest.raises(ValueError, match='trains by iterations'):
        fit_schedule(cfg, 2)


def test_benchmark_prints_train_epochs(monkeypatch, capsys):
    bench = load_tool('tools/analysis_tools/benchmark_throughput.py')
    args = bench.parse_args([CONFIG, SHAPES, '--equal-time-epochs', '6'])
    results = {
        'a': dict(images_per_s=10.),
        osp.splitext(osp.basename(SHAPES))[0]: dict(images_per_s=20.)
    }
    assert bench.equal_time(results, args) == {
        osp.splitext(osp.basename(SHAPES))[0]: 12
    }
    assert f'python tools/train.py {SHAPES} --epochs 12' in \
        capsys.readouterr().out


def test_amp_choice_is_one_function():
    from dilemma_mm.engine.optimizers import amp_optim_wrapper
    cpu = amp_optim_wrapper(
        dict(type='OptimWrapper', loss_scale=512, optimizer=dict()), 'cpu')
    assert cpu['type'] == 'dilemma_mm.CPUBf16OptimWrapper'
    assert 'loss_scale' not in cpu
    cuda = amp_optim_wrapper(dict(type='OptimWrapper', optimizer={}), 'cuda')
    assert cuda == dict(
        type='AmpOptimWrapper', loss_scale='dynamic', optimizer={})
