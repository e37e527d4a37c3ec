"""Write ImageNet-100 annotation files over an ImageNet-1K folder.

ImageNet-100 is the 100-class subset of ImageNet-1K introduced by CMC
(Tian et al., 2019; https://github.com/HobbitLong/CMC, imagenet100.txt)
and used by the DILEMMA paper's fine-tuning experiments. Nothing is
copied: the files list the subset's images of the existing folder, so the
benchmark configs (``*_in100.py``) read ``data/imagenet`` with::

    data/imagenet/meta/train_in100.txt   n01558993/n01558993_10.JPEG 0
    data/imagenet/meta/val_in100.txt     <path under val/> <label>
    data/imagenet/meta/classes_in100.txt the 100 WordNet ids, one a line

Labels 0-99 follow the sorted WordNet ids, as an image folder of the
subset would number them. Each split is read from ``<root>/<split>/<wnid>/``
class folders when they exist, else from mmpretrain's ``meta/<split>.txt``
(e.g. ``ILSVRC2012_val_00000001.JPEG 65`` for the flat validation folder;
its ImageNet-1K labels are mapped through the sorted class folders of
``train/``).

Example::

    python tools/dataset_converters/make_imagenet100.py data/imagenet
    # another subset: one WordNet id per line
    python tools/dataset_converters/make_imagenet100.py data/imagenet \\
        --classes my_classes.txt --suffix mysubset
"""
import argparse
import os
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence

# CMC's imagenet100.txt, in its order.
IMAGENET100_CLASSES = (
    'n02869837', 'n01749939', 'n02488291', 'n02107142', 'n13037406',
    'n02091831', 'n04517823', 'n04589890', 'n03062245', 'n01773797',
    'n01735189', 'n07831146', 'n07753275', 'n03085013', 'n04485082',
    'n02105505', 'n01983481', 'n02788148', 'n03530642', 'n04435653',
    'n02086910', 'n02859443', 'n13040303', 'n03594734', 'n02085620',
    'n02099849', 'n01558993', 'n04493381', 'n02109047', 'n04111531',
    'n02877765', 'n04429376', 'n02009229', 'n01978455', 'n02106550',
    'n01820546', 'n01692333', 'n07714571', 'n02974003', 'n02114855',
    'n03785016', 'n03764736', 'n03775546', 'n02087046', 'n07836838',
    'n04099969', 'n04592741', 'n03891251', 'n02701002', 'n03379051',
    'n02259212', 'n07715103', 'n03947888', 'n04026417', 'n02326432',
    'n03637318', 'n01980166', 'n02113799', 'n02086240', 'n03903868',
    'n02483362', 'n04127249', 'n02089973', 'n03017168', 'n02093428',
    'n02804414', 'n02396427', 'n04418357', 'n02172182', 'n01729322',
    'n02113978', 'n03787032', 'n02089867', 'n02119022', 'n03777754',
    'n04238763', 'n02231487', 'n03032252', 'n02138441', 'n02104029',
    'n03837869', 'n03494278', 'n04136333', 'n03794056', 'n03492542',
    'n02018207', 'n04067472', 'n03930630', 'n03584829', 'n02123045',
    'n04229816', 'n02100583', 'n03642806', 'n04336792', 'n03259280',
    'n02116738', 'n02108089', 'n03424325', 'n01855672', 'n02090622')
IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif')
WNID = re.compile(r'^n\d{8}$')
SPLITS = ('train', 'val')


def read_classes(path: str) -> List[str]:
    """WordNet ids, one a line (blank lines and ``#`` comments skipped)."""
    with open(path) as f:
        wnids = [
            line.split('#')[0].strip() for line in f
            if line.split('#')[0].strip()
        ]
    bad = [w for w in wnids if not WNID.match(w)]
    if bad:
        raise ValueError(f'{path}: not WordNet ids: {bad[:5]}')
    return wnids


def _class_folders(folder: str) -> List[str]:
    if not osp.isdir(folder):
        return []
    return sorted(
        d for d in os.listdir(folder)
        if WNID.match(d) and osp.isdir(osp.join(folder, d)))


def scan_split(root: str, split: str, labels: Dict[str, int]) -> List[str]:
    """``path label`` lines of one split (paths relative to ``<split>/``)."""
    split_dir = osp.join(root, split)
    folders = _class_folders(split_dir)
    if folders:
        missing = sorted(set(labels) - set(folders))
        if missing:
            raise FileNotFoundError(f'{split_dir} lacks the class folders '
                                    f'{missing[:5]} ({len(missing)} missing)')
        lines = []
        for wnid in sorted(labels):
            for name in sorted(os.listdir(osp.join(split_dir, wnid))):
                if name.lower().endswith(IMG_EXTENSIONS):
                    lines.append(f'{wnid}/{name} {labels[wnid]}')
        return lines

    ann_file = osp.join(root, 'meta', f'{split}.txt')
    if not osp.isfile(ann_file):
        raise FileNotFoundError(f'neither {split_dir}/<wnid>/ class folders '
                                f'nor {ann_file} found')
    all_wnids = _class_folders(osp.join(root, 'train'))
    lines = []
    with open(ann_file) as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            path, label = line.rsplit(maxsplit=1)
            wnid = path.split('/', 1)[0]
            if not WNID.match(wnid):
                if len(all_wnids) != 1000:
                    raise ValueError(
                        f'{ann_file}:{lineno}: the path names no class and '
                        f'ImageNet-1K labels need the 1000 class folders of '
                        f'{root}/train to map them (found {len(all_wnids)})')
                wnid = all_wnids[int(label)]
            if wnid in labels:
                lines.append(f'{path} {labels[wnid]}')
    return lines


def make_imagenet100(root: str,
                     classes: Sequence[str] = IMAGENET100_CLASSES,
                     out_dir: Optional[str] = None,
                     suffix: str = 'in100',
                     splits: Sequence[str] = SPLITS) -> dict:
    """Write the annotation files; returns image counts per split.

    Args:
        root (str): ImageNet folder (``train/``, ``val/``, ``meta/``).
        classes (Sequence[str]): WordNet ids of the subset.
        out_dir (str, optional): Defaults to ``<root>/meta``.
        suffix (str): File names are ``<split>_<suffix>.txt`` and
            ``classes_<suffix>.txt``.
        splits (Sequence[str]): Splits to write.
    """
    if len(set(classes)) != len(classes):
        raise ValueError('the class list repeats a WordNet id')
    labels = {wnid: i for i, wnid in enumerate(sorted(classes))}
    out_dir = out_dir or osp.join(root, 'meta')
    os.makedirs(out_dir, exist_ok=True)
    counts = {}
    for split in splits:
        lines = scan_split(root, split, labels)
        if not lines:
            raise ValueError(f'no image of the subset in {root}/{split}')
        with open(osp.join(out_dir, f'{split}_{suffix}.txt'), 'w') as f:
            f.write('\n'.join(lines) + '\n')
        counts[split] = len(lines)
    with open(osp.join(out_dir, f'classes_{suffix}.txt'), 'w') as f:
        f.write('\n'.join(sorted(classes)) + '\n')
    return counts


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(
        description='Write ImageNet-100 annotation files over ImageNet')
    parser.add_argument('root', help='ImageNet folder, e.g. data/imagenet')
    parser.add_argument(
        '--classes',
        help='file of WordNet ids to use instead of CMC\'s ImageNet-100')
    parser.add_argument('--out-dir', help='default: ROOT/meta')
    parser.add_argument('--suffix', default='in100')
    parser.add_argument('--splits', nargs='+', default=list(SPLITS))
    args = parser.parse_args(argv)
    classes = (
        read_classes(args.classes) if args.classes else IMAGENET100_CLASSES)
    counts = make_imagenet100(args.root, classes, args.out_dir, args.suffix,
                              args.splits)
    out_dir = args.out_dir or osp.join(args.root, 'meta')
    print(f'{len(classes)} classes; ' +
          ', '.join(f'{split}_{args.suffix}.txt: {n} images'
                    for split, n in counts.items()) + f' in {out_dir}')
    return counts


if __name__ == '__main__':
    main()
