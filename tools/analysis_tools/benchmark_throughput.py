"""Training throughput and peak memory of configs, on the same inputs.

Each config's real training pipeline (everything after image loading:
views, crops, token dropping) turns the same synthetic images into a batch;
the timed region is full training steps (``model.train_step``: forward,
backward, optimizer step and, where the algorithm has one, momentum update).
Configs run interleaved, round after round, after warm-up, so drift of a
shared machine hits all of them alike; the table gives the median images/s
and its ratio to the first config.

A second table breaks a step into phases (data transfer, online/student
forward with heads and losses, momentum/teacher forward, EMA update,
backward, optimizer), timed in separate steps with a device sync at every
phase boundary (so they add up to more than an unsynced step), and counts
the operator calls (ATen ops, forward and backward) of one step and per
image: on a CPU this shows launch-bound overhead without a GPU.

``--equal-time-epochs E`` turns the measured ratios into equal-time
training: the first config trained for ``E`` epochs takes as long as each
other config trained for ``E x ratio`` epochs, printed as the
``tools/train.py --epochs`` command that fits its schedule to them. The
ratio holds only for the machine, batch and precision it was measured on:
measure on the hardware that will train, or give the baseline's measured
wall-clock to ``BudgetEpochBasedTrainLoop`` instead.

Example (the README's table)::

    python tools/analysis_tools/benchmark_throughput.py \
        configs/mocov3/mocov3_vit-small-p16_16xb256-amp-coslr-300e_in1k.py \
        configs/dilemma/dilemma-mocov3_vit-small-p16_16xb256-amp-coslr-300e_in1k.py \
        --batch-size 32
"""  # noqa: E501
import argparse
import collections
import contextlib
import copy
import json
import os
import os.path as osp
import resource
import statistics
import subprocess
import sys
import time

import numpy as np
import torch
from mmengine.config import DictAction
from mmengine.dataset import Compose, default_collate
from mmengine.logging import MessageHub
from mmengine.model import BaseAveragedModel
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from torch.utils._python_dispatch import TorchDispatchMode

import dilemma_mm  # noqa: F401  (compatibility fixes and registration)
from dilemma_mm.engine import amp_optim_wrapper
from dilemma_mm.registry import MODELS
from dilemma_mm.utils import load_config


def at_least(low: int):
    """An argparse type: an integer >= ``low`` (a zero here was accepted,
    then failed after minutes of warm-up, or was ignored)."""

    def parse(text: str) -> int:
        if not text.lstrip('-').isdigit() or int(text) < low:
            raise argparse.ArgumentTypeError(
                f'must be an integer >= {low}, got {text!r}')
        return int(text)

    return parse


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('configs', nargs='+', help='config files')
    parser.add_argument('--batch-size', type=at_least(2), default=32)
    parser.add_argument(
        '--source-size',
        type=at_least(8),
        default=256,
        help='side of the synthetic source images the pipelines crop')
    parser.add_argument('--warmup', type=at_least(0), default=1, help='steps')
    parser.add_argument(
        '--steps', type=at_least(1), default=2, help='timed steps per round')
    parser.add_argument('--rounds', type=at_least(1), default=3)
    parser.add_argument(
        '--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='fp16 autocast on CUDA, bf16 on CPU (as tools/train.py --amp)')
    parser.add_argument(
        '--no-memory',
        action='store_true',
        help='skip the peak-memory measurement')
    parser.add_argument(
        '--breakdown-steps',
        type=at_least(0),
        default=None,
        help='synced steps of the per-phase breakdown (default: --rounds); '
        '0 skips it')
    parser.add_argument(
        '--equal-time-epochs',
        type=at_least(1),
        help='epochs of the first config: print the equal-time epochs of '
        'the others from the measured ratios')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--json', help='also write the results here')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='overrides applied to every config')
    parser.add_argument(
        '--memory-of', help=argparse.SUPPRESS)  # internal: child process
    return parser.parse_args(argv)


class Subject:
    """One config made ready to train on a fixed batch."""

    def __init__(self, config: str, args: argparse.Namespace) -> None:
        self.name = osp.splitext(osp.basename(config))[0]
        cfg = load_config(config, args.cfg_options)
        init_default_scope(cfg.get('default_scope', 'dilemma_mm'))
        torch.manual_seed(args.seed)
        self.model = MODELS.build(cfg.model).to(args.device)
        if hasattr(self.model, 'init_weights'):
            self.model.init_weights()
        self.model.train()
        self.optim_wrapper = build_optim_wrapper(
            self.model, self._optim_cfg(cfg.optim_wrapper, args))
        self.data = self._make_batch(cfg, args)

    @staticmethod
    def _optim_cfg(optim_cfg, args) -> dict:
        if args.amp:
            return amp_optim_wrapper(optim_cfg, args.device)
        optim_cfg = copy.deepcopy(dict(optim_cfg))
        optim_cfg.pop('loss_scale', None)
        optim_cfg['type'] = 'OptimWrapper'  # also for the configs' --amp
        return optim_cfg

    @staticmethod
    def _make_batch(cfg, args) -> dict:
        """Run the config's pipeline, minus image loading, on the same
        synthetic images for every config."""
        steps = [
            t for t in cfg.train_dataloader.dataset.pipeline
            if 'LoadImage' not in str(t['type'])
        ]
        pipeline = Compose(steps)
        image_rng = np.random.default_rng(args.seed)
        np.random.seed(args.seed)  # the transforms' own randomness
        side = args.source_size
        samples = []
        for index in range(args.batch_size):
            img = image_rng.integers(0, 256, (side, side, 3), np.uint8)
            samples.append(
                pipeline(
                    dict(
                        img=img,
                        img_shape=(side, side),
                        ori_shape=(side, side),
                        sample_idx=index,
                        gt_label=0)))
        return default_collate(samples)

    def step(self) -> None:
        self.model.train_step(self.data, self.optim_wrapper)


PHASES = ('transfer', 'forward', 'momentum forward', 'ema', 'backward',
          'optimizer')


class PhaseRecorder(TorchDispatchMode):
    """Times the phases of a training step (exclusive of nested ones, a
    device sync at each boundary) or, used as a dispatch mode, counts the
    ATen operator calls of each phase."""

    def __init__(self, device: str) -> None:
        super().__init__()
        self.device = device
        self.stack = []
        self.seconds = collections.defaultdict(float)
        self.ops = collections.defaultdict(int)

    @contextlib.contextmanager
    def phase(self, name: str):
        if self.stack and self.stack[-1][0] == name:  # nested, same phase
            yield
            return
        sync(self.device)
        start = time.perf_counter()
        self.stack.append((name, start))
        try:
            yield
        finally:
            sync(self.device)
            self.stack.pop()
            elapsed = time.perf_counter() - start
            self.seconds[name] += elapsed
            if self.stack:  # exclusive time of the enclosing phase
                self.seconds[self.stack[-1][0]] -= elapsed

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.ops[self.stack[-1][0] if self.stack else 'other'] += 1
        return func(*args, **(kwargs or {}))

    def instrument(self, model: torch.nn.Module) -> None:
        """Route the model's EMA models (momentum encoder, teacher)
        through the ``momentum forward`` and ``ema`` phases."""
        for ema in model.modules():
            if not isinstance(ema, BaseAveragedModel):
                continue
            update = ema.update_parameters

            def timed_update(source, _update=update):
                with self.phase('ema'):
                    return _update(source)

            ema.update_parameters = timed_update
            for module in [ema.module, *ema.module.children()]:
                module.register_forward_pre_hook(self._enter)
                module.register_forward_hook(self._exit)

    def _enter(self, module, args) -> None:
        context = self.phase('momentum forward')
        context.__enter__()
        module._benchmark_phase = getattr(module, '_benchmark_phase', [])
        module._benchmark_phase.append(context)

    def _exit(self, module, args, output) -> None:
        module._benchmark_phase.pop().__exit__(None, None, None)


def phased_step(subject: 'Subject', recorder: PhaseRecorder) -> None:
    """``model.train_step`` (mmengine's ``BaseModel.train_step`` and
    ``OptimWrapper.update_params``) with its phases recorded."""
    model, optim_wrapper = subject.model, subject.optim_wrapper
    with optim_wrapper.optim_context(model):
        with recorder.phase('transfer'):
            data = model.data_preprocessor(subject.data, True)
        with recorder.phase('forward'):
            losses = model._run_forward(data, mode='loss')
            loss, _ = model.parse_losses(losses)
    with recorder.phase('backward'):
        optim_wrapper.backward(optim_wrapper.scale_loss(loss))
    with recorder.phase('optimizer'):
        if optim_wrapper.should_update():
            optim_wrapper.step()
            optim_wrapper.zero_grad()


def breakdown(subject: 'Subject', steps: int, device: str) -> dict:
    """Median milliseconds per phase over ``steps`` synced steps, and the
    operator calls of one step per phase."""
    recorder = PhaseRecorder(device)
    recorder.instrument(subject.model)
    per_step = collections.defaultdict(list)
    for _ in range(steps):
        recorder.seconds.clear()
        phased_step(subject, recorder)
        for name in PHASES:
            per_step[name].append(recorder.seconds.get(name, 0.))
    with recorder:
        phased_step(subject, recorder)
    return dict(
        ms={
            name: 1000 * statistics.median(values)
            for name, values in per_step.items()
        },
        ops=dict(recorder.ops))


def set_runtime_info() -> None:
    """What a Runner would tell the model (CosineEMA reads the schedule)."""
    hub = MessageHub.get_current_instance()
    hub.update_info('iter', 0)
    hub.update_info('max_iters', 100_000)


def sync(device: str) -> None:
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def time_steps(subject: Subject, steps: int, device: str) -> float:
    """Seconds per step over ``steps`` steps."""
    sync(device)
    start = time.perf_counter()
    for _ in range(steps):
        subject.step()
    sync(device)
    return (time.perf_counter() - start) / steps


def peak_memory_mb(config: str, args: argparse.Namespace) -> float:
    """Peak memory of one config's training step: CUDA's allocator peak, or
    on CPU the peak resident size of a fresh process doing warm-up + one
    step (the process's baseline included, the same for every config)."""
    if args.device.startswith('cuda'):
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
        subject = Subject(config, args)
        subject.step()
        sync(args.device)
        peak = torch.cuda.max_memory_allocated() / 2**20
        del subject
        return peak
    argv = [sys.executable, __file__, config, '--memory-of', config]
    argv += ['--batch-size', str(args.batch_size), '--device', args.device]
    argv += ['--source-size', str(args.source_size), '--seed', str(args.seed)]
    if args.amp:
        argv.append('--amp')
    if args.cfg_options:
        argv += ['--cfg-options'] + [
            f'{k}={json.dumps(v) if not isinstance(v, str) else v}'
            for k, v in args.cfg_options.items()
        ]
    out = subprocess.run(
        argv, check=True, stdout=subprocess.PIPE, text=True).stdout
    return float(out.strip().splitlines()[-1])


def process_peak_rss_mb() -> float:
    """Peak resident size of this process in MB.

    Linux's ``VmHWM`` starts afresh at ``exec``; ``ru_maxrss`` would carry
    the parent's peak over from ``fork`` (every config would show the
    benchmark process's own size).
    """
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_memory(args: argparse.Namespace) -> None:
    subject = Subject(args.memory_of, args)
    subject.step()
    subject.step()
    print(process_peak_rss_mb())


def main(argv=None) -> dict:
    args = parse_args(argv)
    set_runtime_info()
    if args.memory_of:
        return child_memory(args)
    torch.backends.cudnn.benchmark = True
    subjects = [Subject(config, args) for config in args.configs]
    for subject in subjects:
        for _ in range(args.warmup):
            subject.step()
    seconds = {subject.name: [] for subject in subjects}
    for round_index in range(args.rounds):
        for subject in subjects:
            seconds[subject.name].append(
                time_steps(subject, args.steps, args.device))
        print(
            f'round {round_index + 1}/{args.rounds}: ' +
            ', '.join(f'{name} {args.batch_size / s[-1]:.2f} img/s'
                      for name, s in seconds.items()),
            flush=True)
    breakdown_steps = (
        args.rounds if args.breakdown_steps is None else args.breakdown_steps)
    phases = {}
    if breakdown_steps:
        for subject in subjects:
            phases[subject.name] = breakdown(subject, breakdown_steps,
                                             args.device)
    del subjects
    results = {}
    for config in args.configs:
        name = osp.splitext(osp.basename(config))[0]
        per_step = statistics.median(seconds[name])
        results[name] = dict(
            images_per_s=args.batch_size / per_step,
            seconds_per_step=per_step,
            peak_memory_mb=(None if args.no_memory else peak_memory_mb(
                config, args)),
            **phases.get(name, {}))
    print_table(results, args)
    if phases:
        print_breakdown(results, args)
    if args.equal_time_epochs:
        results_equal_time = equal_time(results, args)
        for name, epochs in results_equal_time.items():
            results[name]['equal_time_epochs'] = epochs
    if args.json:
        os.makedirs(osp.dirname(osp.abspath(args.json)), exist_ok=True)
        with open(args.json, 'w') as f:
            json.dump(dict(settings=vars(args), results=results), f, indent=2)
    return results


def print_table(results: dict, args: argparse.Namespace) -> None:
    device = (
        torch.cuda.get_device_name() if args.device.startswith('cuda') else
        f'CPU ({torch.get_num_threads()} threads)')
    print(f'\nbatch {args.batch_size}, {device}, amp={args.amp}, median of '
          f'{args.rounds} rounds x {args.steps} steps after '
          f'{args.warmup} warm-up')
    memory_kind = 'peak GPU MB' if args.device.startswith('cuda') \
        else 'peak RSS MB'
    header = f'| config | images/s | ratio | s/step | {memory_kind} |'
    print(header)
    print('|---|---:|---:|---:|---:|')
    base = next(iter(results.values()))['images_per_s']
    for name, r in results.items():
        memory = ('-' if r['peak_memory_mb'] is None else
                  f"{r['peak_memory_mb']:.0f}")
        print(f"| {name} | {r['images_per_s']:.2f} | "
              f"{r['images_per_s'] / base:.2f}x | "
              f"{r['seconds_per_step']:.3f} | {memory} |")


def print_breakdown(results: dict, args: argparse.Namespace) -> None:
    print(f'\nper phase, ms per step (median of synced steps) / operator '
          f'calls per step (batch {args.batch_size})')
    print('| config | ' + ' | '.join(PHASES) + ' | ops/step | ops/image |')
    print('|---|' + '---:|' * (len(PHASES) + 2))
    for name, r in results.items():
        if 'ms' not in r:
            continue
        cells = [
            f"{r['ms'].get(phase, 0.):.1f} / {r['ops'].get(phase, 0)}"
            for phase in PHASES
        ]
        total_ops = sum(r['ops'].values())
        print(f'| {name} | ' + ' | '.join(cells) +
              f' | {total_ops} | {total_ops / args.batch_size:.1f} |')


def equal_time(results: dict, args: argparse.Namespace) -> dict:
    """Print and return the epochs of each config that take the time of
    the first config's ``--equal-time-epochs``."""
    base = next(iter(results.values()))['images_per_s']
    print(f'\nequal time on this machine ({args.device}, batch '
          f'{args.batch_size}, amp={args.amp}): the first config for '
          f'{args.equal_time_epochs} epochs')
    epochs = {}
    for config in args.configs[1:]:
        name = osp.splitext(osp.basename(config))[0]
        ratio = results[name]['images_per_s'] / base
        epochs[name] = max(1, round(args.equal_time_epochs * ratio))
        options = ' '.join(
            f'{k}={json.dumps(v) if not isinstance(v, str) else v}'
            for k, v in (args.cfg_options or {}).items())
        print(f'  {name}: {args.equal_time_epochs} x {ratio:.2f} = '
              f'{epochs[name]} epochs\n    python tools/train.py {config} '
              f'--epochs {epochs[name]}' +
              (f' --cfg-options {options}' if options else ''))
    return epochs


if __name__ == '__main__':
    main()
