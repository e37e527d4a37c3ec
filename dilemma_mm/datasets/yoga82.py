"""YOGA-82: fine-grained pose classification at three levels (6, 20, 82).

The official release lists images in ``yoga_train.txt`` and ``yoga_test.txt``
(one ``path,label6,label20,label82`` per line, paths relative to
``yoga_dataset_images_final/``) and ships download links instead of images,
many of them dead. This module parses those files with their quirks; the
dataset class skips listed images whose file is missing.
"""
import os.path as osp
from collections import Counter
from typing import Dict, List, NamedTuple, Optional, Sequence, Union

from mmengine.fileio import get_file_backend
from mmengine.logging import MMLogger
from mmpretrain.datasets.base_dataset import BaseDataset

from dilemma_mm.registry import DATASETS

YOGA82_LEVELS = (6, 20, 82)
YOGA82_IMAGE_DIR = 'yoga_dataset_images_final'
YOGA82_SPLITS = ('train', 'test')


class Yoga82Entry(NamedTuple):
    """One annotation line: the image path and its label at each level."""
    path: str
    label6: int
    label20: int
    label82: int

    def label(self, level: int) -> int:
        return getattr(self, f'label{level}')

    def to_line(self) -> str:
        return f'{self.path},{self.label6},{self.label20},{self.label82}'


def parse_yoga82_line(line: str) -> Optional[Yoga82Entry]:
    """Parse ``path,label6,label20,label82``; ``None`` for a blank line.

    Surrounding white space is dropped (the first line of the official
    ``yoga_train.txt`` starts with a space). The labels are split from the
    right, so the path may hold any character but a newline.

    Raises:
        ValueError: If the line is malformed or a label is out of range.
    """
    line = line.strip()
    if not line:
        return None
    parts = line.rsplit(',', 3)
    try:
        labels = [int(p) for p in parts[1:]]
    except ValueError:
        labels = []
    if len(labels) != 3 or not parts[0].strip():
        raise ValueError(f'expected "path,label6,label20,label82", got '
                         f'{line!r}')
    for level, label in zip(YOGA82_LEVELS, labels):
        if not 0 <= label < level:
            raise ValueError(f'level-{level} label {label} out of range in '
                             f'{line!r}')
    return Yoga82Entry(parts[0].strip(), *labels)


def read_yoga82_annotations(ann_file: str) -> List[Yoga82Entry]:
    """All entries of a YOGA-82 annotation file, in file order.

    Raises:
        ValueError: Naming the file and line number of a malformed line.
    """
    entries = []
    with open(ann_file, encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            try:
                entry = parse_yoga82_line(line)
            except ValueError as e:
                raise ValueError(f'{ann_file}:{lineno}: {e}') from None
            if entry is not None:
                entries.append(entry)
    return entries


def yoga82_class_names(entries: Sequence[Yoga82Entry]) -> Dict[int, List[str]]:
    """Class names of every level, indexed by label.

    Level 82 takes the class folder of its images (``Virasana_or_Vajrasana``,
    ``Bharadvaja's_Twist_pose_or_Bharadvajasana_I_``, ...). The release names
    neither level 6 nor level 20 in its files, so those are numbered
    (``level6_class_0`` ...). The paper's figure orders the six superclasses
    Standing, Sitting, Balancing, Inverted, Reclining, Wheel, and public code
    using the labels agrees (``Akarna_Dhanurasana``, a seated pose, has
    label6 = 1), but we found no official mapping to rely on.
    """
    folders = {}
    for entry in entries:
        folders.setdefault(entry.label82, entry.path.split('/', 1)[0])
    names = {
        level: [f'level{level}_class_{i}' for i in range(level)]
        for level in YOGA82_LEVELS
    }
    for label, folder in folders.items():
        names[82][label] = folder
    return names


def yoga82_parents(entries: Sequence[Yoga82Entry]) -> Dict[str, List[int]]:
    """The coarser label of every class (-1 where no entry shows it).

    Returns:
        dict: ``parent_20_of_82`` (82 labels) and ``parent_6_of_20`` (20).
    """
    parents = {
        'parent_20_of_82': [-1] * 82,
        'parent_6_of_20': [-1] * 20,
    }
    for entry in entries:
        parents['parent_20_of_82'][entry.label82] = entry.label20
        parents['parent_6_of_20'][entry.label20] = entry.label6
    return parents


@DATASETS.register_module()
class YOGA82(BaseDataset):
    """The YOGA-82 pose dataset at level 6, 20 or 82.

    Expected layout (the official release)::

        data_root/
        ├── yoga_train.txt             path,label6,label20,label82 per line
        ├── yoga_test.txt
        └── yoga_dataset_images_final/
            ├── Akarna_Dhanurasana/16.jpg
            ├── Bharadvaja's_Twist_pose_or_Bharadvajasana_I_/...
            └── ...

    ``gt_label`` is the label at ``level``; every data info also carries
    ``gt_label_6``, ``gt_label_20`` and ``gt_label_82`` for a hierarchical
    head. :class:`~mmpretrain.datasets.PackInputs` packs only ``gt_label`` by
    default; list the others as ``algorithm_keys`` to keep them in the data
    samples::

        dict(type='PackInputs',
             algorithm_keys=['gt_label_6', 'gt_label_20', 'gt_label_82'])

    Broken images: entries whose file is missing are dropped here (with a
    warning that counts them). Files that exist but are truncated or not
    images are found by ``tools/dataset_converters/prepare_yoga82.py ROOT``,
    which writes ``yoga_{train,test}_clean.txt``; pass that as ``ann_file``.
    Without it, load images with ``LoadImageFromFileSafe``: it returns
    ``None`` for an unreadable file, and in training mmengine's
    ``BaseDataset`` then draws another index (up to ``max_refetch`` times).
    In ``test_mode`` mmengine refuses ``None``, so evaluate on the clean
    annotation file.

    ``metainfo`` holds ``classes`` (of ``level``), ``classes_6``,
    ``classes_20``, ``classes_82`` and the hierarchy ``parent_20_of_82`` and
    ``parent_6_of_20``. See :func:`yoga82_class_names` for the names.

    Args:
        data_root (str): Root of the dataset, as above.
        split (str): ``'train'`` or ``'test'``. Defaults to ``'train'``.
        level (int): Label granularity, 6, 20 or 82. Defaults to 82.
        ann_file (str, optional): Annotation file, relative to ``data_root``
            unless absolute. Defaults to ``yoga_{split}.txt``.
        data_prefix (str | dict): Image folder relative to ``data_root``.
            Defaults to ``'yoga_dataset_images_final'``.
        skip_missing (bool): Drop entries whose image file does not exist.
            Defaults to True.
        metainfo (dict, optional): Overrides of the meta information; a
            ``classes`` entry must have ``level`` names.
        **kwargs: Other arguments of :class:`mmpretrain.datasets.BaseDataset`
            (``pipeline``, ``test_mode``, ``lazy_init``, ``max_refetch`` ...).
    """

    METAINFO = dict(levels=YOGA82_LEVELS)

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 level: int = 82,
                 ann_file: Optional[str] = None,
                 data_prefix: Union[str, dict] = YOGA82_IMAGE_DIR,
                 skip_missing: bool = True,
                 metainfo: Optional[dict] = None,
                 **kwargs) -> None:
        if split not in YOGA82_SPLITS:
            raise ValueError(f'YOGA82 split must be one of {YOGA82_SPLITS}, '
                             f'got {split!r}')
        if level not in YOGA82_LEVELS:
            raise ValueError(f'YOGA82 level must be one of {YOGA82_LEVELS}, '
                             f'got {level!r}')
        self.split = split
        self.level = level
        self.skip_missing = skip_missing
        super().__init__(
            ann_file=ann_file or f'yoga_{split}.txt',
            metainfo=metainfo,
            data_root=data_root,
            data_prefix=data_prefix,
            **kwargs)

    def _naming_entries(self, entries: List[Yoga82Entry]) -> list:
        """Entries to name classes from: ours plus both official splits.

        A cleaned or partial annotation file may lack whole classes; the
        official files name them, and keep train and test names equal.
        """
        naming = list(entries)
        for split in YOGA82_SPLITS:
            official = osp.join(self.data_root, f'yoga_{split}.txt')
            if osp.isfile(official) and osp.abspath(official) != osp.abspath(
                    self.ann_file):
                naming += read_yoga82_annotations(official)
        return naming

    def _set_metainfo(self, entries: List[Yoga82Entry]) -> None:
        naming = self._naming_entries(entries)
        names = yoga82_class_names(naming)
        for level in YOGA82_LEVELS:
            self._metainfo[f'classes_{level}'] = tuple(names[level])
        self._metainfo.update(yoga82_parents(naming))
        classes = self._metainfo.get('classes')
        if classes is None:
            self._metainfo['classes'] = tuple(names[self.level])
        elif len(classes) != self.level:
            raise ValueError(f'{len(classes)} class names given for YOGA82 '
                             f'level {self.level}')

    def load_data_list(self) -> List[dict]:
        """One dict per kept entry: ``img_path`` and the labels."""
        entries = read_yoga82_annotations(self.ann_file)
        self._set_metainfo(entries)
        backend = get_file_backend(self.img_prefix, enable_singleton=True)
        data_list, missing = [], Counter()
        for entry in entries:
            img_path = backend.join_path(self.img_prefix, entry.path)
            if self.skip_missing and not backend.isfile(img_path):
                missing[entry.path.split('/', 1)[0]] += 1
                continue
            data_list.append(
                dict(
                    img_path=img_path,
                    gt_label=entry.label(self.level),
                    gt_label_6=entry.label6,
                    gt_label_20=entry.label20,
                    gt_label_82=entry.label82))
        if missing:
            worst = ', '.join(f'{name} ({n})'
                              for name, n in missing.most_common(3))
            MMLogger.get_current_instance().warning(
                f'YOGA82 {self.split}: skipped {sum(missing.values())} of '
                f'{len(entries)} listed images whose file is missing under '
                f'{self.img_prefix} (most in {worst}). '
                'tools/dataset_converters/prepare_yoga82.py reports them '
                'and also finds truncated files.')
        if not data_list:
            raise RuntimeError(f'YOGA82 {self.split}: no image of '
                               f'{self.ann_file} found under '
                               f'{self.img_prefix}')
        return data_list

    def extra_repr(self) -> List[str]:
        return [
            f'Split: \t{self.split}', f'Level: \t{self.level}',
            f'Annotation file: \t{self.ann_file}',
            f'Prefix of images: \t{self.img_prefix}'
        ]
