"""Training throughput and peak memory of configs, on the same inputs.

Each config's real training pipeline (everything after image loading:
views, crops, token dropping) turns the same synthetic images into a batch;
the timed region is full training steps (``model.train_step``: forward,
backward, optimizer step and, where the algorithm has one, momentum update).
Configs run interleaved, round after round, after warm-up, so drift of a
shared machine hits all of them alike; the table gives the median images/s
and its ratio to the first config.

Example (the README's table)::

    python tools/analysis_tools/benchmark_throughput.py \
        configs/mocov3/mocov3_vit-small-p16_16xb256-amp-coslr-300e_in1k.py \
        configs/dilemma/dilemma-mocov3_vit-small-p16_16xb256-amp-coslr-300e_in1k.py \
        --batch-size 32
"""  # noqa: E501
import argparse
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
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

import dilemma_mm  # noqa: F401  (compatibility fixes and registration)
from dilemma_mm.registry import MODELS
from dilemma_mm.utils import load_config


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('configs', nargs='+', help='config files')
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument(
        '--source-size',
        type=int,
        default=256,
        help='side of the synthetic source images the pipelines crop')
    parser.add_argument('--warmup', type=int, default=1, help='steps')
    parser.add_argument(
        '--steps', type=int, default=2, help='timed steps per round')
    parser.add_argument('--rounds', type=int, default=3)
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
        optim_cfg = copy.deepcopy(dict(optim_cfg))
        optim_cfg.pop('loss_scale', None)
        if not args.amp:
            optim_cfg['type'] = 'OptimWrapper'
        elif args.device.startswith('cuda'):
            optim_cfg.update(type='AmpOptimWrapper', loss_scale='dynamic')
        else:
            optim_cfg['type'] = 'dilemma_mm.CPUBf16OptimWrapper'
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
    del subjects
    results = {}
    for config in args.configs:
        name = osp.splitext(osp.basename(config))[0]
        per_step = statistics.median(seconds[name])
        results[name] = dict(
            images_per_s=args.batch_size / per_step,
            seconds_per_step=per_step,
            peak_memory_mb=(None if args.no_memory else peak_memory_mb(
                config, args)))
    print_table(results, args)
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


if __name__ == '__main__':
    main()
