"""YOGA-82 on a miniature tree with the release's quirks and broken files."""
import importlib.util
import io
import json
import os.path as osp
import sys
from unittest import mock

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.dataset import pseudo_collate
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope
from mmpretrain.structures import DataSample
from PIL import Image
from torch.utils.data import DataLoader

from dilemma_mm.datasets import YOGA82, LoadImageFromFileSafe
from dilemma_mm.datasets.load_image_safe import find_truncation
from dilemma_mm.evaluation import HierarchicalAccuracy
from dilemma_mm.models.heads import HierarchicalClsHead

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
LABEL_KEYS = ['gt_label_6', 'gt_label_20', 'gt_label_82']

# Folder -> (label6, label20, label82); names as awkward as the release's.
CLASSES = {
    'Akarna_Dhanurasana': (1, 8, 0),
    "Bharadvaja's_Twist_pose_or_Bharadvajasana_I_": (1, 8, 1),
    'Virasana_or_Vajrasana': (1, 5, 72),
    'Wind_Relieving_pose_or_Pawanmuktasana': (4, 13, 80),
    'Half Moon (Ardha Chandrasana) pose': (0, 2, 29),
}
AKARNA, BHARADVAJA, VIRASANA, WIND, HALF_MOON = CLASSES


def jpeg_bytes(seed):
    pixels = np.random.default_rng(seed).integers(0, 255, (24, 20, 3))
    buf = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8)).save(buf, format='JPEG')
    return buf.getvalue()


@pytest.fixture
def yoga_root(tmp_path):
    """Train: 8 listed, 1 missing, 1 truncated, 1 garbage, 1 empty file.

    Test: 3 listed, 1 missing. The first train line starts with a space.
    """
    root = tmp_path / 'Yoga-82'
    images = root / 'yoga_dataset_images_final'
    for folder in CLASSES:
        (images / folder).mkdir(parents=True)
    good = {
        f'{AKARNA}/16.jpg': 0,
        f'{BHARADVAJA}/3.jpg': 1,
        f'{VIRASANA}/1.jpg': 2,
        f'{WIND}/7.jpg': 3,
        f'{HALF_MOON}/0_12.jpg': 4,
        f'{AKARNA}/2.jpg': 5,
        f'{VIRASANA}/9.jpg': 6,
        f'{WIND}/1.jpg': 7,
    }
    for path, seed in good.items():
        (images / path).write_bytes(jpeg_bytes(seed))
    truncated = f'{BHARADVAJA}/44.jpg'
    (images / truncated).write_bytes(jpeg_bytes(9)[:-200])
    garbage = f'{HALF_MOON}/5.jpg'
    (images / garbage).write_bytes(b'<html>404 Not Found</html>' * 10)
    empty = f'{WIND}/2.jpg'
    (images / empty).write_bytes(b'')
    missing = f'{VIRASANA}/404.jpg'

    def line(path):
        label6, label20, label82 = CLASSES[path.split('/')[0]]
        return f'{path},{label6},{label20},{label82}'

    train = list(good)[:5] + [truncated, missing, garbage, empty]
    test = list(good)[5:] + [f'{AKARNA}/77.jpg']
    (root / 'yoga_train.txt').write_text(' ' + '\n'.join(map(line, train)) +
                                         '\n\n')
    (root / 'yoga_test.txt').write_text('\n'.join(map(line, test)) + '\n')
    return str(root)


def load_tool():
    path = osp.join(REPO, 'tools', 'dataset_converters', 'prepare_yoga82.py')
    spec = importlib.util.spec_from_file_location('prepare_yoga82', path)
    module = importlib.util.module_from_spec(spec)
    # Registered so that worker processes can unpickle check_image.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize('level', [6, 20, 82])
def test_levels(yoga_root, level):
    dataset = YOGA82(yoga_root, split='train', level=level)
    assert len(dataset) == 8  # only the missing file is dropped
    assert len(dataset.CLASSES) == level
    column = {6: 0, 20: 1, 82: 2}[level]
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        folder = osp.basename(osp.dirname(info['img_path']))
        assert osp.exists(info['img_path']) or folder == HALF_MOON
        labels = CLASSES[folder]
        assert info['gt_label'] == labels[column]
        assert [info[k] for k in LABEL_KEYS] == list(labels)
    meta = dataset.metainfo
    # Level-82 names are the class folders, from both split files.
    for folder, (label6, label20, label82) in CLASSES.items():
        assert meta['classes_82'][label82] == folder
        assert meta['parent_20_of_82'][label82] == label20
        assert meta['parent_6_of_20'][label20] == label6
    assert meta['classes_82'][2] == 'level82_class_2'
    assert meta['classes_6'][0] == 'level6_class_0'
    assert len(meta['classes_20']) == 20


def test_bad_arguments(yoga_root, tmp_path):
    with pytest.raises(ValueError, match='6, 20, 82'):
        YOGA82(yoga_root, level=10)
    with pytest.raises(ValueError, match='train'):
        YOGA82(yoga_root, split='val')
    with pytest.raises(ValueError, match='class names'):
        YOGA82(yoga_root, level=6, metainfo=dict(classes=['a', 'b']))
    bad = tmp_path / 'bad.txt'
    bad.write_text('Akarna_Dhanurasana/1.jpg,1,8,0\nfoo.jpg,1,8\n')
    with pytest.raises(ValueError, match='bad.txt:2'):
        YOGA82(yoga_root, ann_file=str(bad))
    bad.write_text('Akarna_Dhanurasana/1.jpg,1,8,82\n')
    with pytest.raises(ValueError, match='out of range'):
        YOGA82(yoga_root, ann_file=str(bad))


def test_skip_missing(yoga_root):
    with mock.patch.object(MMLogger.get_current_instance(), 'warning') as warn:
        kept = YOGA82(yoga_root, split='test')
    assert len(kept) == 3
    assert 'skipped 1 of 4' in warn.call_args[0][0]
    listed = YOGA82(yoga_root, split='test', skip_missing=False)
    assert len(listed) == 4


def test_prepare_tool(yoga_root, tmp_path, capsys):
    tool = load_tool()
    out = str(tmp_path / 'clean')
    report = tool.main([yoga_root, '--out-dir', out, '--workers', '1'])
    train, test = report['splits']['train'], report['splits']['test']
    assert (train['listed'], train['kept']) == (9, 5)
    assert train['dropped'] == dict(
        missing=1, empty=1, unreadable=1, truncated=1)
    assert train['dropped_per_class'] == {
        BHARADVAJA: dict(truncated=1),
        HALF_MOON: dict(unreadable=1),
        VIRASANA: dict(missing=1),
        WIND: dict(empty=1),
    }
    assert (test['listed'], test['kept']) == (4, 3)
    with open(osp.join(out, 'yoga82_prepare_report.json')) as f:
        assert json.load(f)['splits']['train']['dropped']['truncated'] == 1
    printed = capsys.readouterr().out
    assert 'truncated' in printed and HALF_MOON in printed

    # The clean files are what YOGA82 reads through ann_file.
    clean = osp.join(out, 'yoga_train_clean.txt')
    with open(clean) as f:
        assert len(f.read().splitlines()) == 5
    dataset = YOGA82(yoga_root, split='train', ann_file=clean)
    assert len(dataset) == 5
    assert dataset.metainfo['classes_82'][0] == AKARNA

    # Parallel workers give the same report.
    again = tool.main([yoga_root, '--out-dir', out, '--workers', '2'])
    assert again == report


def test_safe_loader(yoga_root):
    images = osp.join(yoga_root, 'yoga_dataset_images_final')
    loader = LoadImageFromFileSafe()
    ok = loader(dict(img_path=osp.join(images, AKARNA, '16.jpg')))
    assert ok['img'].shape == (24, 20, 3)
    for path in (f'{BHARADVAJA}/44.jpg', f'{HALF_MOON}/5.jpg', f'{WIND}/2.jpg',
                 f'{VIRASANA}/404.jpg'):
        assert loader(dict(img_path=osp.join(images, path))) is None
    strict = LoadImageFromFileSafe(on_error='raise')
    with pytest.raises(OSError, match='44.jpg.*truncated'):
        strict(dict(img_path=osp.join(images, BHARADVAJA, '44.jpg')))

    whole = jpeg_bytes(0)
    assert find_truncation(whole) is None
    assert find_truncation(whole[:-50]) is not None


def test_dataloader_survives_broken_images(yoga_root):
    init_default_scope('dilemma_mm')  # the pipeline's plain names are ours
    dataset = YOGA82(
        yoga_root,
        split='train',
        level=20,
        pipeline=[
            dict(type='LoadImageFromFileSafe'),
            dict(type='Resize', scale=(16, 16)),
            dict(type='PackInputs', algorithm_keys=LABEL_KEYS),
        ])
    loader = DataLoader(dataset, batch_size=3, collate_fn=pseudo_collate)
    seen = 0
    for batch in loader:
        for inputs, sample in zip(batch['inputs'], batch['data_samples']):
            assert inputs.shape == (3, 16, 16)
            labels = [sample.get(k) for k in LABEL_KEYS]
            assert tuple(labels) in CLASSES.values()
            assert sample.gt_label.item() == labels[1]
            seen += 1
    assert seen == len(dataset) == 8

    # The packed samples feed the hierarchical head directly.
    head = HierarchicalClsHead(in_channels=5)
    losses = head.loss((torch.randn(len(batch['data_samples']), 5), ),
                       batch['data_samples'])
    assert set(losses) == {'loss_level6', 'loss_level20', 'loss_level82'}
    assert all(torch.isfinite(v) for v in losses.values())


def test_hierarchical_head_and_metric():
    head = HierarchicalClsHead(
        in_channels=3,
        num_classes=(2, 3, 4),
        loss_weights=(1., 1., .5),
        cal_acc=True,
        topk=(1, 3))
    # Level 2 reads feature 0 vs 1, level 3 the features, level 4 the
    # features and a zero, so every prediction is the largest feature.
    with torch.no_grad():
        for fc, n in zip(head.fcs, (2, 3, 4)):
            fc.weight.copy_(torch.eye(n, 3))
            fc.bias.zero_()
    # No ties: level-4 rankings are (0, 1, 3, 2), (2, 1, 0, 3),
    # (0, 2, 3, 1) and (2, 1, 3, 0).
    feats = torch.tensor([[3., 1., -1.], [.5, 2., 5.], [4., -1., 1.],
                          [-1., 1., 2.]])
    gt = {
        2: [0, 1, 1, 1],  # predicted 0, 1, 0, 1: 3 of 4 right
        3: [0, 2, 0, 0],  # predicted 0, 2, 0, 2: 3 of 4 right
        4: [3, 2, 2, 0],  # predicted 0, 2, 0, 2: 1 right, 3 in the top 3
    }
    samples = []
    for i in range(4):
        sample = DataSample().set_gt_label(gt[4][i])
        for n in (2, 3, 4):
            sample.set_field(gt[n][i], f'gt_label_{n}')
        samples.append(sample)
    losses = head.loss((feats, ), samples)
    for n, weight in zip((2, 3, 4), (1., 1., .5)):
        expected = weight * F.cross_entropy(feats @ torch.eye(n, 3).T,
                                            torch.tensor(gt[n]))
        torch.testing.assert_close(losses[f'loss_level{n}'], expected)
    assert losses['accuracy_level3_top-1'].item() == 75.
    assert 'accuracy_level2_top-3' not in losses

    predictions = head.predict((feats, ), samples)
    assert predictions[1].pred_label.item() == 2  # main level: the finest
    assert predictions[0].pred_label_2.item() == 0
    assert predictions[0].pred_score_4.shape == (4, )

    metric = HierarchicalAccuracy(num_classes=(2, 3, 4), topk=(1, 3))
    metric.process(None, [s.to_dict() for s in predictions])
    result = metric.evaluate(4)
    assert result == {
        'level2/top1': 75.,
        'level3/top1': 75.,
        'level3/top3': 100.,
        'level4/top1': 25.,
        'level4/top3': 75.,
    }
    with pytest.raises(KeyError, match='algorithm_keys'):
        head.loss((feats, ), [DataSample().set_gt_label(0)] * 4)
