"""Summarise ``shapes_equal_time.sh``: per method, the mean and standard
deviation over seeds of k-NN and linear-probe top-1, the pretraining wall
time, and the occlusion curves (mean over seeds).

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


def mean_std(values: list) -> str:
    spread = statistics.stdev(values) if len(values) > 1 else 0.
    return f'{statistics.mean(values):.2f} ± {spread:.2f}'


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('out_dir')
    args = parser.parse_args(argv)
    print('| method | seeds | pretrain min | k-NN top-1 | linear top-1 |')
    print('|---|---|---:|---:|---:|')
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
        minutes = [pretrain_minutes(f'{r}.pretrain.log') for r in runs]
        print(f'| {method} | {len(runs)} | {mean_std(minutes)} | '
              f'{mean_std(knn)} | {mean_std(probe)} |')
        occlusion = [json.load(open(f'{r}/occlusion.json')) for r in runs]
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
