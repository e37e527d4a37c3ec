"""Summarise ``shapes_equal_time.sh``: per method, the mean and standard
deviation over seeds of k-NN and linear-probe top-1, the pretraining wall
time, and the occlusion curves (mean over seeds). Where runs were also
evaluated on the mean of the patch tokens (``FEATURE=patch_mean``), its
k-NN and probe top-1 get two columns more; where they were fine-tuned
(``FINETUNE=1``), the fine-tuned top-1 one more; where the k-NN also fitted
a converged linear classifier (``knn_eval.py --linear``, which
``shapes_equal_time.sh`` passes), its top-1 one more, marked as a lower
bound on the seeds whose held-out share chose the smallest weight decay
tried.

Example::

    python tools/analysis_tools/summarize_equal_time.py \
        work_dirs/shapes_equal_time
"""
import argparse
import glob
import json
import os.path as osp
import re
import statistics
from datetime import datetime
from typing import Optional

# The columns shown where any run has their key in their JSON file:
# header, file, key. FEATURE=patch_mean of shapes_equal_time.sh writes the
# patch-mean files, FINETUNE=1 the fine-tuning's, knn_eval.py --linear the
# converged linear classifier's key.
OPTIONAL_COLUMNS = (
    ('converged linear top-1', 'knn.json', 'linear_top1'),
    ('k-NN top-1 (patch mean)', 'knn_patch_mean.json', 'knn_top1'),
    ('linear top-1 (patch mean)', 'probe_patch_mean.json', 'accuracy/top1'),
    ('converged linear top-1 (patch mean)', 'knn_patch_mean.json',
     'linear_top1'),
    ('fine-tune top-1', 'finetune.json', 'accuracy/top1'),
)

# Keys whose figure is only a lower bound where the flag beside them is
# true: knn_eval.py --linear's top-1 where the smallest weight decay of its
# grid won on the held-out share.
LOWER_BOUND_FLAGS = dict(linear_top1='linear_weight_decay_at_edge')


def json_record(path: str) -> dict:
    """The JSON file at ``path``; empty if it is missing."""
    if not osp.isfile(path):
        return {}
    with open(path) as f:
        return json.load(f)


def json_value(path: str, key: str):
    """``key`` of the JSON file at ``path``; None if either is missing."""
    return json_record(path).get(key)


def pretrain_minutes(log_path: str) -> float:
    """Minutes from the first to the last training iteration logged."""
    stamps = re.findall(
        r'^(\d\d/\d\d \d\d:\d\d:\d\d) - mmengine - INFO - '
        r'Epoch\(train\)',
        open(log_path).read(), re.M)
    first, last = (
        datetime.strptime(s, '%m/%d %H:%M:%S')
        for s in (stamps[0], stamps[-1]))
    return (last - first).total_seconds() / 60


def final_detection_auc(run: str) -> Optional[float]:
    """Mean ``auc_dilemma`` over the last epoch logged by the run's
    pretraining, or None for runs without the DILEMMA branch.

    A baseline built on a DILEMMA wrapper with nothing misplaced logs AUC
    0.5 and AP 0 (no positive token): no detection, so None, not 0.5.
    """
    logs = sorted(glob.glob(osp.join(run, 'pretrain/*/vis_data/scalars.json')))
    if not logs:
        return None
    records = [json.loads(line) for line in open(logs[-1]) if line.strip()]
    records = [
        r for r in records
        if 'auc_dilemma' in r and r.get('ap_dilemma', 1.) > 0
    ]
    if not records:
        return None
    last = [
        r['auc_dilemma'] for r in records if r['epoch'] == records[-1]['epoch']
    ]
    return statistics.mean(last)


def mean_std(values: list) -> str:
    spread = statistics.stdev(values) if len(values) > 1 else 0.
    return f'{statistics.mean(values):.2f} ± {spread:.2f}'


def optional_mean_std(runs: list, name: str, key: str) -> str:
    """:func:`mean_std` of ``key`` in the runs' JSON file ``name``, over the
    runs that have it ('-' if none does), saying how many when not all."""
    records = [json_record(osp.join(r, name)) for r in runs]
    values = [rec[key] for rec in records if rec.get(key) is not None]
    if not values:
        return '-'
    cell = mean_std(values)
    if len(values) < len(runs):
        cell += f' ({len(values)} of {len(runs)} seeds)'
    if key in LOWER_BOUND_FLAGS:
        bounds = sum(bool(rec.get(LOWER_BOUND_FLAGS[key])) for rec in records)
        if bounds:
            cell += (f' (lower bound on {bounds} of {len(values)}: '
                     'the smallest weight decay won)')
    return cell


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('out_dir')
    args = parser.parse_args(argv)
    finished = glob.glob(
        osp.join(args.out_dir, '*', 'seed*', 'occlusion.json'))
    if not finished:  # a table of nothing hid a mistyped folder
        raise SystemExit(
            f'{args.out_dir}: no finished run (<method>/seed<n>/'
            'occlusion.json); give the OUT_DIR of shapes_equal_time.sh')
    columns = [
        (header, name, key) for header, name, key in OPTIONAL_COLUMNS if any(
            json_value(path, key) is not None
            for path in glob.glob(osp.join(args.out_dir, '*', 'seed*', name)))
    ]
    print('| method | seeds | pretrain min | k-NN top-1 | linear top-1 |' +
          ''.join(f' {header} |' for header, _, _ in columns) +
          ' shuffle drop 50 % / 90 % | detection AUC |')
    print('|---|---|---:|---:|---:|' + '---:|' * len(columns) + '---:|---:|')
    curves = {}
    for method_dir in sorted(glob.glob(osp.join(args.out_dir, '*/'))):
        method = osp.basename(osp.normpath(method_dir))
        runs = sorted(
            d for d in glob.glob(osp.join(method_dir, 'seed*'))
            if osp.isfile(osp.join(d, 'occlusion.json')))
        if not runs:
            continue
        knn = [json.load(open(f'{r}/knn.json'))['knn_top1'] for r in runs]
        probe = [
            json.load(open(f'{r}/probe.json'))['accuracy/top1'] for r in runs
        ]
        minutes = [
            pretrain_minutes(f'{r}.pretrain.log')
            if osp.isdir(f'{r}/pretrain') else 0. for r in runs
        ]
        occlusion = [json.load(open(f'{r}/occlusion.json')) for r in runs]
        # probe top-1 lost when 50 % / 90 % of the patches are shuffled:
        # the shape-reliance figure
        drops = []
        for share in (.5, .9):
            drops.append(
                mean_std([
                    o['top1']['shuffle'][0] -
                    o['top1']['shuffle'][o['ratios'].index(share)]
                    for o in occlusion
                ]) if share in occlusion[0]['ratios'] else '-')
        aucs = [a for a in map(final_detection_auc, runs) if a is not None]
        auc = mean_std(aucs) if aucs else '-'
        extra = ''.join(f' {optional_mean_std(runs, name, key)} |'
                        for _, name, key in columns)
        print(f'| {method} | {len(runs)} | {mean_std(minutes)} | '
              f'{mean_std(knn)} | {mean_std(probe)} |{extra} {drops[0]} / '
              f'{drops[1]} | {auc} |')
        curves[method] = dict(
            ratios=occlusion[0]['ratios'],
            **{
                mode: [
                    statistics.mean(values)
                    for values in zip(*(o['top1'][mode] for o in occlusion))
                ]
                for mode in occlusion[0]['top1']
            })
    for method, curve in curves.items():
        for mode in [k for k in curve if k != 'ratios']:
            print(f'{method} occlusion ({mode}, mean over seeds): ' +
                  ' '.join(f'{r:.0%}:{a:.1f}'
                           for r, a in zip(curve['ratios'], curve[mode])))


if __name__ == '__main__':
    main()
