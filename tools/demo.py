"""The README's main job: DILEMMA + MoCo v3 on the built-in shape data (or
any ImageNet-style folder), end to end on a CPU in under ten minutes.

1. generate the shape data in ``--data`` if that folder does not exist; an
   existing folder is used as it is if it holds ``train/<class>/<image>``
   and ``val/<class>/<image>``;
2. pretrain the CPU recipe with ``tools/train.py`` (progress and ETA in the
   log; a killed run continues where it stopped when started again). It
   trains to a wall-clock budget, a share of ``--minutes``: the first epoch
   is timed and the schedule fitted to the epochs that fit (at most the
   recipe's, or ``--epochs``);
3. evaluate the pretrained backbone and the same backbone at random
   initialisation with weighted k-NN (k=20, T=0.07) and with a linear probe
   trained on their frozen features (the first probe is fitted to the time
   left, the second trains as many epochs);
4. report the misplacement detection of the pretraining run (ROC AUC, AP
   and accuracy per epoch, from its log);
5. draw sample validation images with the tokens the model flags as
   misplaced, to ``<work-dir>/misplacement.png``.

Every step runs one of our tools in a subprocess, exactly as a user would
(the command is printed), in the current directory: paths mean what they
mean in the shell. Their outputs land under ``--work-dir``.

Example::

    python tools/demo.py                          # what `make demo` runs
    python tools/demo.py --data ~/my_images       # an ImageNet-style folder
    python tools/demo.py --epochs 1 --probe-epochs 1    # a quick look
    python tools/demo.py --cfg-options model.backbone.arch.num_layers=2
"""
import argparse
import glob
import json
import os
import os.path as osp
import re
import shlex
import subprocess
import sys
import time
from collections import defaultdict
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
# Starts each run's part of a step log (logs are appended to, never
# replaced).
LOG_HEADER = '===== demo step, '


class Recipe(NamedTuple):
    """What the demo runs for one algorithm; paths are in the repository.

    ``make_data`` is the generator's command line; ``{out}`` and ``{seed}``
    are filled in.
    """
    title: str
    pretrain: str
    probe: str
    make_data: Tuple[str, ...]


def _recipe(algorithm: str, title: str, epochs: int) -> Recipe:
    """The CPU recipe of DILEMMA + ``algorithm`` on the shape data."""
    return Recipe(
        title=title,
        pretrain=f'configs/dilemma/dilemma-{algorithm}_vit-tiny-p8-convstem_'
        f'1xb128-coslr-{epochs}e_shapes.py',
        probe='configs/benchmarks/vit-tiny-p8-convstem_dilemma-mocov3-8e-'
        'pre_1xb128-linear-coslr-5e_shapes.py',
        make_data=('tools/dataset_converters/make_shapes.py', '--out', '{out}',
                   '--seed', '{seed}', '--style', '{style}', '--workers', '2'))


RECIPES = {
    'mocov3': _recipe('mocov3', 'DILEMMA + MoCo v3', 8),
    'dino': _recipe('dino', 'DILEMMA + DINO', 8),
    'simclr': _recipe('simclr', 'DILEMMA + SimCLR', 8),
    'mae': _recipe('mae', 'DILEMMA + MAE', 20),
}
# Where the shape data of each style is generated unless --data says.
DEFAULT_DATA = dict(textured='data/shapes_textured', flat='data/shapes')
DETECTION_KEYS = ('auc_dilemma', 'ap_dilemma', 'acc_dilemma')
# Share of the time left after the data step that pretraining gets; the
# evaluation (k-NN, two linear probes, the picture) has the rest.
PRETRAIN_SHARE = 0.65
# The first linear probe trains at least this long, whatever is left.
MIN_PROBE_S = 30.


def positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(
            f'must be a positive integer, got {text!r}')
    return int(text)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--algorithm',
        choices=sorted(RECIPES),
        default='mocov3',
        help='the recipe: pretraining and probe configs, data generator')
    parser.add_argument(
        '--style',
        choices=sorted(DEFAULT_DATA),
        default='textured',
        help='style of the shape data generated when --data does not exist:'
        ' procedural textures in figure and background (default), or flat '
        'palette colours')
    parser.add_argument(
        '--data',
        help='ImageNet-style folder (train/<class>/*, val/<class>/*); the '
        'shape data is generated there if it does not exist (default: '
        f'{DEFAULT_DATA["textured"]}, or {DEFAULT_DATA["flat"]} with '
        '--style flat)')
    parser.add_argument(
        '--work-dir',
        help='where every step writes (default: work_dirs/demo for '
        'mocov3, work_dirs/demo_<algorithm> for the others)')
    parser.add_argument(
        '--minutes',
        type=float,
        default=10.,
        help='wall-clock budget of the whole demo (default 10); 0 trains '
        'the configs\' epochs whatever they take')
    parser.add_argument(
        '--epochs',
        type=positive_int,
        help='pretraining epochs, at most (default: the config\'s); the '
        'schedule is fitted to them')
    parser.add_argument(
        '--probe-epochs',
        type=positive_int,
        help='linear-probe epochs, at most (default: the config\'s)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        default=[],
        help='key=value settings of the pretraining config, also given to '
        'k-NN, random init and picture, which read it. model.backbone.* '
        'settings reach the linear probe too, whose frozen stages and '
        'widths follow, e.g. model.backbone.arch.num_layers=2')
    parser.add_argument(
        '--probe-cfg-options',
        nargs='+',
        default=[],
        help='key=value settings of the linear-probe config, e.g. '
        'train_dataloader.batch_size=64')
    args = parser.parse_args(argv)
    if args.minutes < 0:
        parser.error(f'--minutes must be >= 0, got {args.minutes}')
    if args.data is None:
        args.data = DEFAULT_DATA[args.style]
    if args.work_dir is None:
        args.work_dir = ('work_dirs/demo' if args.algorithm == 'mocov3' else
                         f'work_dirs/demo_{args.algorithm}')
    return args


class Clock:
    """The demo's wall-clock budget and the time of each step."""

    def __init__(self, minutes: float) -> None:
        self.start = time.time()
        self.deadline = self.start + 60 * minutes if minutes else None
        self.steps: Dict[str, float] = defaultdict(float)

    def left(self) -> Optional[float]:
        """Seconds left, or None without a budget."""
        return None if self.deadline is None else self.deadline - time.time()

    def run(self, step: str, args: list, log_name: str, work_dir: str) -> str:
        """:func:`run`, its time added to ``step``."""
        start = time.time()
        try:
            return run(args, log_name, work_dir)
        finally:
            self.steps[step] += time.time() - start


def run(args: list, log_name: str, work_dir: str) -> str:
    """Run ``python args...`` in the current directory, streaming its
    output and appending a copy to ``work_dir/log_name`` (an earlier run's
    log is kept, below its own header); returns this run's output."""
    cmd = [sys.executable] + [str(a) for a in args]
    print(f'\n$ {shlex.join(cmd)}', flush=True)
    os.makedirs(work_dir, exist_ok=True)
    lines = []
    with open(osp.join(work_dir, log_name), 'a') as log:
        log.write(f'{LOG_HEADER}{time.strftime("%Y-%m-%d %H:%M:%S")} '
                  f'$ {shlex.join(cmd)}\n')
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in proc.stdout:
            sys.stdout.write(line)
            log.write(line)
            lines.append(line)
        if proc.wait() != 0:
            raise SystemExit(f'step failed (exit {proc.returncode}): '
                             f'{shlex.join(cmd)}')
    return ''.join(lines)


def in_repo(relative: str) -> str:
    """A repository file as the subprocesses, run in the current
    directory, reach it (short when the current directory holds it)."""
    path = osp.join(REPO, relative)
    short = osp.relpath(path)
    return path if short.startswith('..') else short


def image_files(folder: str) -> List[str]:
    """The image files of ``folder``, sorted; folders named like images
    are not images."""
    from dilemma_mm.datasets.image_folder import IMAGE_SUFFIXES
    return sorted(
        osp.join(folder, f) for f in os.listdir(folder) if
        f.lower().endswith(IMAGE_SUFFIXES) and osp.isfile(osp.join(folder, f)))


def image_classes(split_dir: str) -> Dict[str, int]:
    """Image count of each class folder of ``split_dir``."""
    counts = {}
    for name in sorted(os.listdir(split_dir)):
        folder = osp.join(split_dir, name)
        if osp.isdir(folder):
            counts[name] = len(image_files(folder))
    return counts


def check_folder(data: str) -> List[str]:
    """The classes of an ImageNet-style folder, or SystemExit saying what
    is wrong with its layout."""
    from dilemma_mm.datasets.image_folder import IMAGE_SUFFIXES
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
    print(f'data: {data}, {len(per_split["train"])} classes, '
          f'{sum(per_split["train"].values())} train and '
          f'{sum(per_split["val"].values())} val images')
    return list(per_split['train'])


def prepare_data(recipe: Recipe,
                 data: str,
                 seed: int,
                 work_dir: str,
                 clock: Optional[Clock] = None,
                 style: str = 'textured') -> List[str]:
    """Generate the recipe's data (shapes of ``style``) in ``data`` if the
    folder does not exist, then check its layout; returns the class names.
    An existing folder is used as it is, whatever wrote it."""
    if not osp.exists(data):
        command = [
            a.format(out=data, seed=seed, style=style)
            for a in recipe.make_data
        ]
        command[0] = in_repo(command[0])
        (clock or Clock(0)).run('data', command, 'make_data.log', work_dir)
    return check_folder(data)


def split_options(options: Sequence[str]) -> Dict[str, str]:
    """``key=value`` strings as typed, by key."""
    split = {}
    for option in options:
        key, sep, value = option.partition('=')
        if not sep:
            raise SystemExit(f'--cfg-options {option!r}: expected key=value')
        split[key] = value
    return split


def plan_options(recipe: Recipe, args: argparse.Namespace) -> List[str]:
    """Check the overrides against both configs before any work is done,
    and return the probe's: the pretraining ``model.backbone.*`` settings,
    with the probe's frozen stages and widths following the backbone."""
    import torch
    from mmengine.config import DictAction
    from mmengine.registry import init_default_scope
    from torch.nn.modules.utils import _pair

    from dilemma_mm.registry import MODELS
    from dilemma_mm.utils import load_config

    def parsed(options):
        namespace = argparse.Namespace()
        DictAction([], 'options')(None, namespace, list(options))
        return namespace.options

    backbone_options = [
        f'{k}={v}' for k, v in split_options(args.cfg_options).items()
        if k.startswith('model.backbone.')
    ]
    try:
        pretrain = load_config(
            osp.join(REPO, recipe.pretrain), parsed(args.cfg_options))
        init_default_scope(pretrain.get('default_scope', 'dilemma_mm'))
        backbone = MODELS.build(pretrain.model).backbone
    except Exception as e:
        raise SystemExit(f'--cfg-options {shlex.join(args.cfg_options)}: '
                         f'the pretraining config {recipe.pretrain} does not '
                         f'build: {type(e).__name__}: {e}')
    probe = load_config(osp.join(REPO, recipe.probe))
    derived = [f'model.backbone.frozen_stages={backbone.num_layers}'
               ] * ('frozen_stages' in probe.model.backbone)
    if 'input_features' in probe.model.get('neck', {}):
        derived.append(f'model.neck.input_features={backbone.embed_dims}')
    if 'in_channels' in probe.model.get('head', {}):
        derived.append(f'model.head.in_channels={backbone.embed_dims}')
    probe_options = backbone_options + derived + list(args.probe_cfg_options)
    try:
        probe = load_config(
            osp.join(REPO, recipe.probe), parsed(probe_options))
        model = MODELS.build(probe.model).eval()
        size = probe.model.backbone.get('img_size', 224)
        with torch.no_grad():  # widths that do not fit show in a forward
            model(torch.zeros(1, 3, *_pair(size)), mode='tensor')
    except Exception as e:
        raise SystemExit(
            f'the linear probe {recipe.probe} does not build with the '
            f'pretraining backbone and --probe-cfg-options '
            f'({shlex.join(probe_options)}): {type(e).__name__}: {e}')
    return probe_options


def budget_options(seconds: Optional[float]) -> List[str]:
    """``--cfg-options`` that train to a budget with the schedule fitted to
    the epochs that fit; none without a budget."""
    if seconds is None:
        return []
    return [
        'train_cfg.type=BudgetEpochBasedTrainLoop',
        f'train_cfg.time_budget_s={max(seconds, 1.):.0f}',
        'train_cfg.fit_schedule=True'
    ]


def trained_epochs(work_dir: str, output: str) -> Tuple[str, int, str]:
    """The checkpoint a training run ended with, its complete epochs, and
    how the run ended, in words."""
    from dilemma_mm.checkpoint.work_dir import latest_checkpoint
    checkpoint = latest_checkpoint(work_dir)
    if checkpoint is None:
        raise SystemExit(f'no checkpoint was written in {work_dir}')
    fitted = re.findall(r'(\d+ of \d+ epochs fit)', output)
    how = f'{fitted[-1]} in the time budget' if fitted else 'as planned'
    match = re.match(r'epoch_(\d+)\.pth$', osp.basename(checkpoint))
    if match:
        return checkpoint, int(match.group(1)), how
    # stopped by the budget inside an epoch
    logs = sorted(glob.glob(osp.join(work_dir, '*/vis_data/scalars.json')))
    epochs = [
        record['epoch'] for log in logs[-1:]
        for record in map(json.loads, open(log)) if 'loss' in record
    ]
    return (checkpoint, max(epochs, default=1) - 1,
            'the time budget ran out inside the next epoch')


def pretrain(recipe: Recipe, data: str, args, clock: Clock,
             work_dir: str) -> Tuple[str, int, str]:
    """Pretrain to its share of the budget; returns the checkpoint, its
    epochs and how the run ended."""
    left = clock.left()
    budget = None if left is None else PRETRAIN_SHARE * left
    pretrain_dir = osp.join(work_dir, 'pretrain')
    epochs = ['--epochs', args.epochs] if args.epochs else []
    output = clock.run('pretraining', [
        in_repo('tools/train.py'),
        in_repo(recipe.pretrain), '--work-dir', pretrain_dir, '--resume',
        *epochs, '--cfg-options', f'train_dataloader.dataset.data_root={data}',
        f'randomness.seed={args.seed}', *budget_options(budget),
        *args.cfg_options
    ], 'pretrain.log', work_dir)
    return trained_epochs(pretrain_dir, output)


def last_val_metric(work_dir: str, key: str) -> float:
    """The last validation ``key`` a training run logged."""
    logs = sorted(glob.glob(osp.join(work_dir, '*/vis_data/scalars.json')))
    values = [
        record[key] for log in logs[-1:]
        for record in map(json.loads, open(log)) if key in record
    ]
    if not values:
        raise SystemExit(f'{work_dir} logged no {key}: its run ended before '
                         'validating (a time budget shorter than an epoch? '
                         'give --minutes more)')
    return values[-1]


def linear_probe(name: str, recipe: Recipe, checkpoint: str,
                 options: List[str], epochs: Optional[int],
                 budget: Optional[float], clock: Clock,
                 work_dir: str) -> Tuple[float, int]:
    """Train the probe on the frozen backbone of ``checkpoint``; returns
    its last validation top-1 and its epochs."""
    probe_dir = osp.join(work_dir, f'linear_probe_{name}')
    force = ['--force'] if osp.isdir(probe_dir) else []
    epochs_arg = ['--epochs', epochs] if epochs else []
    output = clock.run('linear probes', [
        in_repo('tools/train.py'),
        in_repo(recipe.probe), '--work-dir', probe_dir, *force, *epochs_arg,
        '--cfg-options', *options, *budget_options(budget),
        f'model.backbone.init_cfg.checkpoint={checkpoint}'
    ], f'linear_probe_{name}.log', work_dir)
    _, trained, _ = trained_epochs(probe_dir, output)
    return last_val_metric(probe_dir, 'accuracy/top1'), trained


def evaluate(recipe: Recipe, checkpoints: Dict[str, str], data: str,
             classes: List[str], args, probe_options: List[str], clock: Clock,
             work_dir: str) -> Dict[str, dict]:
    """k-NN and linear-probe top-1 of the backbone of each checkpoint."""
    results = {}
    for name, checkpoint in checkpoints.items():
        knn_json = osp.join(work_dir, f'knn_{name}.json')
        clock.run('k-NN', [
            in_repo('tools/analysis_tools/knn_eval.py'),
            in_repo(recipe.pretrain), checkpoint, '--out', knn_json,
            '--cfg-options', f'train_dataloader.dataset.data_root={data}',
            *args.cfg_options
        ], f'knn_{name}.log', work_dir)
        with open(knn_json) as f:
            results[name] = dict(knn_top1=json.load(f)['knn_top1'])
    options = [
        f'randomness.seed={args.seed}', f'model.head.num_classes='
        f'{len(classes)}', f'data_preprocessor.num_classes={len(classes)}'
    ] + [
        f'{split}_dataloader.dataset.data_root={data}'
        for split in ('train', 'val', 'test')
    ]
    if len(classes) < 5:  # no top-5 accuracy below five classes
        options += ['val_evaluator.topk=[1]', 'test_evaluator.topk=[1]']
    options += probe_options
    epochs = args.probe_epochs
    for i, (name, checkpoint) in enumerate(checkpoints.items()):
        left = clock.left()
        # The first probe is fitted to half the time left (the picture's
        # start-up aside); the second trains as many epochs.
        budget = None if left is None or i else max(
            MIN_PROBE_S, (left - clock.steps['random init']) / 2 -
            clock.steps['random init'])
        top1, trained = linear_probe(name, recipe, checkpoint, options, epochs,
                                     budget, clock, work_dir)
        epochs = trained or epochs
        results[name].update(linear_probe_top1=top1, probe_epochs=trained)
    return results


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


def draw(recipe: Recipe, checkpoint: str, data: str, args, clock: Clock,
         work_dir: str) -> str:
    """Eight validation images with the tokens the model flags."""
    images = [
        f for folder in sorted(glob.glob(osp.join(data, 'val', '*')))
        if osp.isdir(folder) for f in image_files(folder)
    ]
    samples = images[::max(len(images) // 8, 1)][:8]
    picture = osp.join(work_dir, 'misplacement.png')
    clock.run('picture', [
        in_repo('tools/analysis_tools/visualize_misplacement.py'),
        in_repo(recipe.pretrain), checkpoint, *samples, '--out', picture,
        '--seed', args.seed, '--cfg-options',
        f'train_dataloader.dataset.data_root={data}', *args.cfg_options
    ], 'visualize.log', work_dir)
    return picture


def main(argv=None) -> dict:
    args = parse_args(argv)
    clock = Clock(args.minutes)
    recipe = RECIPES[args.algorithm]
    work_dir = osp.abspath(osp.expanduser(args.work_dir))
    data = osp.abspath(osp.expanduser(args.data))
    probe_options = plan_options(recipe, args)
    classes = prepare_data(recipe, data, args.seed, work_dir, clock,
                           args.style)
    checkpoint, epochs, how = pretrain(recipe, data, args, clock, work_dir)

    random_init = osp.join(work_dir, 'random_init.pth')
    clock.run('random init', [
        in_repo('tools/misc/save_random_init.py'),
        in_repo(recipe.pretrain), random_init, '--seed', args.seed, '--force',
        '--cfg-options', f'train_dataloader.dataset.data_root={data}',
        *args.cfg_options
    ], 'random_init.log', work_dir)
    results = evaluate(recipe,
                       dict(pretrained=checkpoint, random_init=random_init),
                       data, classes, args, probe_options, clock, work_dir)
    picture = draw(recipe, checkpoint, data, args, clock, work_dir)

    detection = detection_per_epoch(osp.join(work_dir, 'pretrain'))
    summary = dict(
        title=recipe.title,
        data=data,
        num_classes=len(classes),
        pretrain_epochs=epochs,
        pretrain_end=how,
        pretrained=results['pretrained'],
        random_init=results['random_init'],
        detection_last_epoch=detection[max(detection)] if detection else {},
        detection_per_epoch=detection,
        checkpoint=checkpoint,
        misplacement_png=picture,
        step_minutes={
            k: round(v / 60, 2)
            for k, v in clock.steps.items()
        },
        minutes=round((time.time() - clock.start) / 60, 1))
    with open(osp.join(work_dir, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    print_summary(summary)
    return summary


def print_summary(summary: dict) -> None:
    pre, rnd = summary['pretrained'], summary['random_init']
    print(f'\n== {summary["title"]} on {summary["data"]} '
          f'({summary["num_classes"]} classes) ==')
    epochs = summary['pretrain_epochs']
    print(f'pretraining: {epochs} epoch{"s" * (epochs != 1)} '
          f'({summary["pretrain_end"]})')
    print(f'{"":22}{"pretrained":>12}{"random init":>14}')
    print(f'{"k-NN top-1":22}{pre["knn_top1"]:>10.2f} %'
          f'{rnd["knn_top1"]:>12.2f} %')
    label = f'linear probe ({pre["probe_epochs"]} ep.)'
    print(f'{label:22}{pre["linear_probe_top1"]:>10.2f} %'
          f'{rnd["linear_probe_top1"]:>12.2f} %')
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
    steps = ', '.join(f'{k} {v}' for k, v in summary['step_minutes'].items())
    print(f'total time: {summary["minutes"]} min ({steps})')


if __name__ == '__main__':
    main()
