"""The README's main job: DILEMMA + MoCo v3 on the built-in shape data (or
any ImageNet-style folder), end to end on a CPU in under ten minutes.

1. generate the shape data in ``--data`` if that folder does not exist; an
   existing folder is used as it is if it holds ``train/<class>/<image>``
   and ``val/<class>/<image>``;
2. pretrain the CPU recipe with ``tools/train.py`` (progress and ETA in the
   log; a killed run continues where it stopped when started again);
3. evaluate the pretrained backbone and the same backbone at random
   initialisation with weighted k-NN (k=20, T=0.07) and with a linear probe
   trained on their frozen features;
4. report the misplacement detection of the pretraining run (ROC AUC, AP
   and accuracy per epoch, from its log);
5. draw sample validation images with the tokens the model flags as
   misplaced, to ``<work-dir>/misplacement.png``.

Every step runs one of our tools in a subprocess, exactly as a user would
(the command is printed); their outputs land under ``--work-dir``.

Example::

    python tools/demo.py                          # what `make demo` runs
    python tools/demo.py --data ~/my_images       # an ImageNet-style folder
    python tools/demo.py --epochs 1 --probe-epochs 1    # a quick look
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
from collections import defaultdict
from typing import Dict, List

from dilemma_mm.datasets.image_folder import IMAGE_SUFFIXES

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
PRETRAIN_CONFIG = ('configs/dilemma/'
                   'dilemma-mocov3_vit-tiny-p8-convstem_1xb128-coslr-8e_'
                   'shapes.py')
PROBE_CONFIG = ('configs/benchmarks/vit-tiny-p8-convstem_dilemma-mocov3-8e-'
                'pre_1xb128-linear-coslr-5e_shapes.py')
DETECTION_KEYS = ('auc_dilemma', 'ap_dilemma', 'acc_dilemma')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--data',
        default='data/shapes',
        help='ImageNet-style folder (train/<class>/*, val/<class>/*); the '
        'shape data is generated there if it does not exist')
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument(
        '--epochs', type=int, help='pretraining epochs (config: 8)')
    parser.add_argument(
        '--probe-epochs', type=int, help='linear-probe epochs (config: 5)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        default=[],
        help='key=value settings given to every step (pretraining, k-NN, '
        'probe), e.g. model.backbone.arch.num_layers=2')
    return parser.parse_args(argv)


def image_classes(split_dir: str) -> Dict[str, int]:
    """Image count of each class folder of ``split_dir``."""
    counts = {}
    for name in sorted(os.listdir(split_dir)):
        folder = osp.join(split_dir, name)
        if osp.isdir(folder):
            counts[name] = sum(f.lower().endswith(IMAGE_SUFFIXES)
                               for f in os.listdir(folder))
    return counts


def check_folder(data: str) -> List[str]:
    """The classes of an ImageNet-style folder, or SystemExit saying what
    is wrong with its layout."""
    layout = ('expected an ImageNet-style folder: '
              f'{data}/train/<class>/<image> and {data}/val/<class>/<image>')
    if not osp.isdir(data):
        raise SystemExit(f'{data} is not a folder; {layout}')
    missing = [s for s in ('train', 'val') if not osp.isdir(osp.join(data, s))]
    if missing:
        found = sorted(os.listdir(data))[:8]
        raise SystemExit(f'{data} has no {" or ".join(missing)} folder '
                         f'(it holds {found}); {layout}')
    per_split = {s: image_classes(osp.join(data, s)) for s in ('train', 'val')}
    for split, counts in per_split.items():
        if len(counts) < 2:
            raise SystemExit(f'{data}/{split} has {len(counts)} class '
                             f'folders, at least 2 are needed; {layout}')
        empty = [name for name, count in counts.items() if count == 0]
        if empty:
            raise SystemExit(
                f'{data}/{split}: no images ({", ".join(IMAGE_SUFFIXES)}) '
                f'in the class folders {empty[:5]}; {layout}')
    if list(per_split['train']) != list(per_split['val']):
        raise SystemExit(f'{data}/train and {data}/val have different class '
                         f'folders: {list(per_split["train"])} vs '
                         f'{list(per_split["val"])}')
    return list(per_split['train'])


def prepare_data(data: str, seed: int, work_dir: str) -> List[str]:
    """Generate the shape data in ``data`` if the folder does not exist
    (or refresh a shape folder of ours), then check its layout; returns
    the class names. Any other folder is used as it is."""
    if not osp.exists(data) or osp.isfile(osp.join(data, 'meta.json')):
        # make_shapes.py writes it, or finds it up to date.
        run([
            'tools/dataset_converters/make_shapes.py', '--out', data, '--seed',
            seed, '--workers', 2
        ], 'make_shapes.log', work_dir)
    return check_folder(data)


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


def detection_per_epoch(pretrain_dir: str) -> Dict[int, Dict[str, float]]:
    """Mean of the logged detection metrics per epoch, from the newest
    ``vis_data/scalars.json`` of the pretraining run."""
    logs = sorted(glob.glob(osp.join(pretrain_dir, '*/vis_data/scalars.json')))
    if not logs:
        return {}
    sums = defaultdict(lambda: defaultdict(list))
    with open(logs[-1]) as f:
        records = [json.loads(line) for line in f if line.strip()]
    for record in records:
        if 'auc_dilemma' not in record:
            continue
        # by-iteration training logs no epoch: group by iteration then
        epoch = record.get('epoch', record.get('iter'))
        for key in DETECTION_KEYS:
            sums[epoch][key].append(record[key])
    return {
        epoch: {
            key: sum(v) / len(v)
            for key, v in values.items()
        }
        for epoch, values in sorted(sums.items())
    }


def evaluate(name: str, checkpoint: str, options: list, probe_options: list,
             work_dir: str) -> Dict[str, float]:
    """k-NN and linear-probe top-1 of the backbone in ``checkpoint``."""
    knn_json = osp.join(work_dir, f'knn_{name}.json')
    run([
        'tools/analysis_tools/knn_eval.py', PRETRAIN_CONFIG, checkpoint,
        '--out', knn_json, '--cfg-options'
    ] + options, f'knn_{name}.log', work_dir)
    with open(knn_json) as f:
        knn = json.load(f)
    probe_dir = osp.join(work_dir, f'linear_probe_{name}')
    probe_opts = probe_options + [
        f'model.backbone.init_cfg.checkpoint={checkpoint}'
    ]
    force = ['--force'] if osp.isdir(probe_dir) else []
    run([
        'tools/train.py', PROBE_CONFIG, '--work-dir', probe_dir, *force,
        '--cfg-options'
    ] + probe_opts, f'linear_probe_{name}.log', work_dir)
    output = run([
        'tools/test.py', PROBE_CONFIG,
        latest_checkpoint(probe_dir), '--work-dir', probe_dir, '--cfg-options'
    ] + probe_opts, f'linear_probe_{name}_test.log', work_dir)
    probe = json.loads(output.strip().splitlines()[-1])
    return dict(
        knn_top1=knn['knn_top1'],
        knn_top5=knn['knn_top5'],
        linear_probe_top1=probe['accuracy/top1'])


def main(argv=None) -> dict:
    args = parse_args(argv)
    start = time.time()
    work_dir = osp.join(REPO, args.work_dir)
    data = osp.join(REPO, osp.expanduser(args.data))
    classes = prepare_data(data, args.seed, work_dir)

    options = [f'train_dataloader.dataset.data_root={data}'] + list(
        args.cfg_options)
    pretrain_dir = osp.join(work_dir, 'pretrain')
    pretrain_options = options + [f'randomness.seed={args.seed}']
    if args.epochs:
        pretrain_options += [
            f'train_cfg.max_epochs={args.epochs}',
            f'param_scheduler.1.T_max={max(args.epochs - 1, 1)}',
            f'param_scheduler.1.end={args.epochs}'
        ]
    run([
        'tools/train.py', PRETRAIN_CONFIG, '--work-dir', pretrain_dir,
        '--resume', '--cfg-options'
    ] + pretrain_options, 'pretrain.log', work_dir)
    checkpoint = latest_checkpoint(pretrain_dir)

    random_init = osp.join(work_dir, 'random_init.pth')
    run([
        'tools/misc/save_random_init.py', PRETRAIN_CONFIG, random_init,
        '--seed', args.seed, '--cfg-options'
    ] + options, 'random_init.log', work_dir)

    probe_options = [
        f'randomness.seed={args.seed}',
        f'model.head.num_classes={len(classes)}',
        f'data_preprocessor.num_classes={len(classes)}'
    ] + [
        f'{split}_dataloader.dataset.data_root={data}'
        for split in ('train', 'val', 'test')
    ] + list(args.cfg_options)
    if len(classes) < 5:  # no top-5 accuracy below five classes
        probe_options += ['val_evaluator.topk=[1]', 'test_evaluator.topk=[1]']
    if args.probe_epochs:
        probe_options += [
            f'train_cfg.max_epochs={args.probe_epochs}',
            f'train_cfg.val_interval={args.probe_epochs}',
            f'param_scheduler.0.T_max={args.probe_epochs}',
            f'param_scheduler.0.end={args.probe_epochs}'
        ]
    results = {
        name: evaluate(name, ckpt, options, probe_options, work_dir)
        for name, ckpt in (('pretrained', checkpoint), ('random_init',
                                                        random_init))
    }

    val_images = sorted(
        f for f in glob.glob(osp.join(data, 'val', '*', '*'))
        if f.lower().endswith(IMAGE_SUFFIXES))
    samples = val_images[::max(len(val_images) // 8, 1)][:8]
    picture = osp.join(work_dir, 'misplacement.png')
    run([
        'tools/analysis_tools/visualize_misplacement.py', PRETRAIN_CONFIG,
        checkpoint, *samples, '--out', picture, '--seed', args.seed,
        '--cfg-options'
    ] + options, 'visualize.log', work_dir)

    detection = detection_per_epoch(pretrain_dir)
    last = detection[max(detection)] if detection else {}
    summary = dict(
        data=data,
        num_classes=len(classes),
        pretrained=results['pretrained'],
        random_init=results['random_init'],
        detection_last_epoch=last,
        detection_per_epoch=detection,
        checkpoint=checkpoint,
        misplacement_png=picture,
        minutes=round((time.time() - start) / 60, 1))
    with open(osp.join(work_dir, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    print_summary(summary)
    return summary


def print_summary(summary: dict) -> None:
    pre, rnd = summary['pretrained'], summary['random_init']
    print(f'\n== DILEMMA + MoCo v3 on {summary["data"]} '
          f'({summary["num_classes"]} classes) ==')
    print(f'{"":22}{"pretrained":>12}{"random init":>14}')
    for key, label in (('knn_top1', 'k-NN top-1'), ('linear_probe_top1',
                                                    'linear probe top-1')):
        print(f'{label:22}{pre[key]:>10.2f} %{rnd[key]:>12.2f} %')
    print(f'{"chance":22}{100 / summary["num_classes"]:>10.2f} %')
    last = summary['detection_last_epoch']
    if last:
        print('misplacement detection, last epoch of pretraining: '
              f'ROC AUC {last["auc_dilemma"]:.3f} (0.5 = chance), '
              f'AP {last["ap_dilemma"]:.3f}, accuracy '
              f'{last["acc_dilemma"]:.3f} (all-negative rate 0.80 at '
              'p = 0.2)')
        curve = '  '.join(
            f'{epoch}: {values["auc_dilemma"]:.3f}'
            for epoch, values in summary['detection_per_epoch'].items())
        print(f'detection AUC per epoch: {curve}')
    print(f'misplacement picture: {summary["misplacement_png"]}')
    print(f'total time: {summary["minutes"]} min')


if __name__ == '__main__':
    main()
