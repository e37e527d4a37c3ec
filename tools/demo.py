"""The README's main job: DILEMMA + MoCo v3 on the built-in shape data, end
to end on a CPU in minutes.

1. generate the shape data (``data/shapes``) if it is missing;
2. pretrain the CPU recipe with ``tools/train.py`` (progress and ETA in the
   log; a killed run continues where it stopped when started again);
3. evaluate the backbone with weighted k-NN (k=20, T=0.07) and with a linear
   probe trained on its frozen features;
4. draw sample validation images with the tokens the model flags as
   misplaced, to ``work_dirs/demo/misplacement.png``.

Every step runs one of our tools in a subprocess, exactly as a user would
(the command is printed); their outputs land under ``--work-dir``.

Example::

    python tools/demo.py                      # what `make demo` runs
    python tools/demo.py --epochs 2 --probe-epochs 1   # a quick look
"""
import argparse
import glob
import json
import os
import os.path as osp
import shlex
import subprocess
import sys
import time

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
PRETRAIN_CONFIG = \
    'configs/dilemma/dilemma-mocov3_vit-tiny-p8_1xb64-coslr-20e_shapes.py'
PROBE_CONFIG = ('configs/benchmarks/'
                'vit-tiny-p8_dilemma-mocov3-20e-pre_1xb64-linear-coslr-10e_'
                'shapes.py')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data', default='data/shapes')
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument(
        '--epochs', type=int, help='pretraining epochs (config: 20)')
    parser.add_argument(
        '--probe-epochs', type=int, help='linear-probe epochs (config: 10)')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args(argv)


def run(args: list, log_name: str, work_dir: str) -> str:
    """Run ``python args...`` from the repository root, streaming its output
    and keeping a copy in ``work_dir/log_name``; returns the output."""
    cmd = [sys.executable] + [str(a) for a in args]
    print(f'\n$ {shlex.join(cmd)}', flush=True)
    os.makedirs(work_dir, exist_ok=True)
    lines = []
    with open(osp.join(work_dir, log_name), 'w') as log:
        proc = subprocess.Popen(
            cmd,
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True)
        for line in proc.stdout:
            sys.stdout.write(line)
            log.write(line)
            lines.append(line)
        if proc.wait() != 0:
            raise SystemExit(f'step failed (exit {proc.returncode}): '
                             f'{shlex.join(cmd)}')
    return ''.join(lines)


def latest_checkpoint(work_dir: str) -> str:
    pointer = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(pointer):
        raise SystemExit(f'no checkpoint was written in {work_dir}')
    with open(pointer) as f:
        return f.read().strip()


def main(argv=None) -> dict:
    args = parse_args(argv)
    start = time.time()
    work_dir = osp.join(REPO, args.work_dir)
    data = osp.join(REPO, args.data)
    data_options = [f'train_dataloader.dataset.data_root={data}']

    run([
        'tools/dataset_converters/make_shapes.py', '--out', data, '--seed',
        args.seed
    ], 'make_shapes.log', work_dir)

    pretrain_dir = osp.join(work_dir, 'pretrain')
    options = data_options + [f'randomness.seed={args.seed}']
    if args.epochs:
        options.append(f'train_cfg.max_epochs={args.epochs}')
    run([
        'tools/train.py', PRETRAIN_CONFIG, '--work-dir', pretrain_dir,
        '--resume', '--cfg-options'
    ] + options, 'pretrain.log', work_dir)
    checkpoint = latest_checkpoint(pretrain_dir)

    knn_json = osp.join(work_dir, 'knn.json')
    run([
        'tools/analysis_tools/knn_eval.py', PRETRAIN_CONFIG, checkpoint,
        '--out', knn_json, '--cfg-options'
    ] + data_options, 'knn.log', work_dir)
    with open(knn_json) as f:
        knn = json.load(f)

    probe_dir = osp.join(work_dir, 'linear_probe')
    probe_options = [
        f'model.backbone.init_cfg.checkpoint={checkpoint}',
        f'randomness.seed={args.seed}'
    ] + [
        f'{split}_dataloader.dataset.data_root={data}'
        for split in ('train', 'val', 'test')
    ]
    if args.probe_epochs:
        probe_options.append(f'train_cfg.max_epochs={args.probe_epochs}')
    run([
        'tools/train.py', PROBE_CONFIG, '--work-dir', probe_dir,
        '--cfg-options'
    ] + probe_options, 'linear_probe.log', work_dir)
    probe_output = run([
        'tools/test.py', PROBE_CONFIG,
        latest_checkpoint(probe_dir), '--work-dir', probe_dir, '--cfg-options'
    ] + probe_options, 'linear_probe_test.log', work_dir)
    probe = json.loads(probe_output.strip().splitlines()[-1])

    samples = sorted(glob.glob(osp.join(data, 'val', '*', '*.png')))[::75][:8]
    picture = osp.join(work_dir, 'misplacement.png')
    run([
        'tools/analysis_tools/visualize_misplacement.py', PRETRAIN_CONFIG,
        checkpoint, *samples, '--out', picture, '--seed', args.seed
    ], 'visualize.log', work_dir)

    summary = {
        'knn_top1': knn['knn_top1'],
        'knn_top5': knn['knn_top5'],
        'linear_probe_top1': probe['accuracy/top1'],
        'checkpoint': checkpoint,
        'misplacement_png': picture,
        'minutes': round((time.time() - start) / 60, 1),
    }
    with open(osp.join(work_dir, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    print('\n== DILEMMA + MoCo v3 on the shape data ==')
    print(f"k-NN top-1:          {summary['knn_top1']:.2f} %  "
          f"(top-5 {summary['knn_top5']:.2f} %)")
    print(f"linear probe top-1:  {summary['linear_probe_top1']:.2f} %")
    print('chance:              '
          f"{100 / len(os.listdir(osp.join(data, 'val'))):.2f} %")
    print(f'misplacement picture: {picture}')
    print(f"total time: {summary['minutes']} min")
    return summary


if __name__ == '__main__':
    main()
