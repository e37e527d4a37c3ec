"""Check every image listed by YOGA-82 and write clean annotation files.

Example::

    python tools/dataset_converters/prepare_yoga82.py data/yoga82 --workers 2

For each split (``yoga_train.txt``, ``yoga_test.txt`` under ROOT) every listed
image is opened with Pillow (``verify`` and a full ``load`` with truncated
images refused) and decoded with OpenCV, which the training pipeline uses.
The tool writes, to ``--out-dir`` (default ROOT):

- ``yoga_train_clean.txt`` and ``yoga_test_clean.txt``: the readable entries,
  same format; use them as ``YOGA82(..., ann_file='yoga_train_clean.txt')``;
- ``yoga82_prepare_report.json``: counts per reason (missing, empty,
  unreadable, truncated) and per class, and every dropped entry with details;

and prints the same counts as tables.
"""
import argparse
import json
import os
import os.path as osp
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np
from PIL import Image, ImageFile

from dilemma_mm.datasets.yoga82 import (YOGA82_IMAGE_DIR, YOGA82_SPLITS,
                                        read_yoga82_annotations)

REASONS = ('missing', 'empty', 'unreadable', 'truncated')
REPORT_NAME = 'yoga82_prepare_report.json'
DEFAULT_WORKERS = min(4, os.cpu_count() or 1)


def check_image(path: str) -> Tuple[str, str]:
    """``('ok', format)`` or ``(reason, detail)`` for one image file.

    Args:
        path (str): Image file.

    Returns:
        tuple[str, str]: ``reason`` is ``'ok'`` or one of :data:`REASONS`.
    """
    if not osp.isfile(path):
        return 'missing', 'no such file'
    if osp.getsize(path) == 0:
        return 'empty', '0 bytes'
    # Decode truncated files as errors even if a library switched this on.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with Image.open(path) as img:
            fmt = img.format
            img.verify()
        # verify() leaves the image unusable, so decode it afresh.
        with Image.open(path) as img:
            img.load()
    except OSError as e:
        message = str(e)
        # 'image file is truncated ...', 'Truncated File Read' (cut in the
        # header), 'broken data stream ...'.
        if any(cue in message.lower()
               for cue in ('truncated', 'broken data stream')):
            return 'truncated', message
        return 'unreadable', f'{type(e).__name__}: {message}'
    except Exception as e:  # Pillow raises several types for bad data.
        return 'unreadable', f'{type(e).__name__}: {e}'
    # Pillow may read what OpenCV (mmcv's default decoder) cannot, e.g. GIF.
    data = np.fromfile(path, dtype=np.uint8)
    if cv2.imdecode(data, cv2.IMREAD_COLOR) is None:
        return 'unreadable', f'OpenCV cannot decode this {fmt} file'
    return 'ok', str(fmt)


def _check_all(paths: List[str], workers: int) -> List[Tuple[str, str]]:
    if workers <= 1 or len(paths) < 2:
        return [check_image(p) for p in paths]
    chunksize = max(1, min(256, len(paths) // (4 * workers)))
    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(check_image, paths, chunksize=chunksize))


def prepare_split(root: str, split: str, out_dir: str,
                  workers: int) -> Optional[dict]:
    """Check one split and write its clean file; its report, or ``None``."""
    ann_file = osp.join(root, f'yoga_{split}.txt')
    if not osp.isfile(ann_file):
        return None
    entries = read_yoga82_annotations(ann_file)
    paths = [osp.join(root, YOGA82_IMAGE_DIR, e.path) for e in entries]
    results = _check_all(paths, workers)

    clean_file = osp.join(out_dir, f'yoga_{split}_clean.txt')
    reasons, per_class, dropped = Counter(), defaultdict(Counter), []
    with open(clean_file, 'w', encoding='utf-8') as f:
        for entry, (reason, detail) in zip(entries, results):
            if reason == 'ok':
                f.write(entry.to_line() + '\n')
                continue
            reasons[reason] += 1
            per_class[entry.path.split('/', 1)[0]][reason] += 1
            dropped.append(dict(path=entry.path, reason=reason, detail=detail))
    return dict(
        ann_file=ann_file,
        clean_file=clean_file,
        listed=len(entries),
        kept=len(entries) - len(dropped),
        dropped={r: reasons[r]
                 for r in REASONS},
        dropped_per_class={
            name: {
                r: counts[r]
                for r in REASONS if counts[r]
            }
            for name, counts in sorted(per_class.items())
        },
        dropped_entries=dropped)


def format_tables(report: dict) -> str:
    """Plain-text tables of a report: per split, then per class."""
    splits = report['splits']

    def cells(values) -> str:
        return ''.join(f'{v:>8}' for v in values)

    header = f'{"split":<8}{"listed":>8}{"kept":>8}' + ''.join(
        f'{r:>12}' for r in REASONS)
    lines = [header, '-' * len(header)]
    for split, rep in splits.items():
        lines.append(f'{split:<8}{rep["listed"]:>8}{rep["kept"]:>8}' +
                     ''.join(f'{rep["dropped"][r]:>12}' for r in REASONS))
    totals: Dict[str, Counter] = defaultdict(Counter)
    for split, rep in splits.items():
        for name, counts in rep['dropped_per_class'].items():
            totals[name][split] += sum(counts.values())
    if totals:
        width = max(len(name) for name in totals) + 2
        lines += ['', f'{"class (dropped)":<{width}}' + cells(splits)]
        for name, counts in sorted(
                totals.items(), key=lambda item: -sum(item[1].values())):
            lines.append(f'{name:<{width}}' + cells(counts[s] for s in splits))
    return '\n'.join(lines)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Check the images YOGA-82 lists and write clean '
        'annotation files plus a report of what was dropped.')
    parser.add_argument(
        'root',
        help='folder with yoga_train.txt, yoga_test.txt and '
        f'{YOGA82_IMAGE_DIR}/')
    parser.add_argument(
        '--out-dir',
        help='where to write the clean files and the report '
        '(default: ROOT)')
    parser.add_argument(
        '--workers',
        type=int,
        default=DEFAULT_WORKERS,
        help='processes checking images (default: min(4, CPUs))')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    out_dir = args.out_dir or args.root
    os.makedirs(out_dir, exist_ok=True)
    splits = {}
    for split in YOGA82_SPLITS:
        rep = prepare_split(args.root, split, out_dir, args.workers)
        if rep is not None:
            splits[split] = rep
    if not splits:
        raise SystemExit(f'No yoga_train.txt or yoga_test.txt in {args.root}')
    report = dict(root=osp.abspath(args.root), splits=splits)
    report_file = osp.join(out_dir, REPORT_NAME)
    with open(report_file, 'w', encoding='utf-8') as f:
        json.dump(report, f, indent=2)
    print(format_tables(report))
    print(f'\nClean annotation files and {REPORT_NAME} written to {out_dir}')
    return report


if __name__ == '__main__':
    main()
