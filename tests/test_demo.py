"""tools/demo.py: any ImageNet-style folder as it is, the shape data where
the folder does not exist, a clear error otherwise; and the whole main job
on a tiny folder."""
import json
import os
import os.path as osp

import numpy as np
import pytest
from conftest import load_tool
from PIL import Image

from dilemma_mm.datasets.generators import SHAPE_CLASSES, make_shapes_dataset


def _foreign_folder(root, classes=('cat', 'dog'), per_class=(8, 4), size=40):
    """Photos-like folder of JPEGs of another size than the recipe's."""
    rng = np.random.default_rng(0)
    for split, count in zip(('train', 'val'), per_class):
        for label, name in enumerate(classes):
            os.makedirs(root / split / name)
            for i in range(count):
                image = rng.integers(0, 255, (size, size + 8, 3))
                image[:size // 2] //= 1 + label  # a class cue
                Image.fromarray(image.astype(np.uint8)).save(root / split /
                                                             name / f'{i}.jpg')
    return str(root)


def test_foreign_folder_is_used_as_it_is(tmp_path):
    demo = load_tool('tools/demo.py')
    data = _foreign_folder(tmp_path / 'pets')
    before = sorted(os.listdir(data))
    assert demo.prepare_data(data, 0, str(tmp_path / 'work')) == ['cat', 'dog']
    assert sorted(os.listdir(data)) == before  # nothing generated there


def test_missing_folder_gets_the_shape_data(tmp_path, monkeypatch):
    demo = load_tool('tools/demo.py')
    commands = []

    def fake_run(args, log_name, work_dir):
        commands.append(args)
        # what make_shapes.py does, at a test's size
        make_shapes_dataset(
            args[args.index('--out') + 1],
            num_train=1,
            num_val=1,
            size=16,
            verbose=False)
        return ''

    monkeypatch.setattr(demo, 'run', fake_run)
    data = str(tmp_path / 'new' / 'shapes')
    assert demo.prepare_data(data, 3, str(tmp_path)) == list(SHAPE_CLASSES)
    assert commands[0][0] == 'tools/dataset_converters/make_shapes.py'
    assert commands[0][commands[0].index('--seed') + 1] == 3


@pytest.mark.parametrize(
    'layout, message',
    [(['images/a.jpg'], 'has no train or val folder'),
     (['train/a/1.jpg', 'val/a/1.jpg'], 'has 1 class folders'),
     (['train/a/1.jpg', 'train/b/notes.txt', 'val/a/1.jpg', 'val/b/1.jpg'
       ], r"no images .* in the class folders \['b'\]"),
     (['train/a/1.jpg', 'train/b/1.jpg', 'val/a/1.jpg', 'val/c/1.jpg'
       ], 'different class folders')])
def test_wrong_layout_is_refused(tmp_path, layout, message):
    demo = load_tool('tools/demo.py')
    data = tmp_path / 'mine'
    for relative in layout:
        path = data / relative
        os.makedirs(path.parent, exist_ok=True)
        Image.new('RGB', (8, 8)).save(path, format='JPEG')
    with pytest.raises(SystemExit, match=message):
        demo.prepare_data(str(data), 0, str(tmp_path / 'work'))
    assert not osp.exists(data / 'meta.json')  # never overwritten


def test_main_job_on_a_foreign_folder(tmp_path):
    """The whole demo, shrunk: pretrained and random-init figures, the
    detection curve and the picture."""
    demo = load_tool('tools/demo.py')
    data = _foreign_folder(tmp_path / 'pets', per_class=(16, 8))
    summary = demo.main([
        '--data', data, '--work-dir',
        str(tmp_path / 'work'), '--epochs', '2', '--probe-epochs', '1',
        '--cfg-options', 'train_dataloader.batch_size=8',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False'
    ])
    assert summary['num_classes'] == 2
    for name in ('pretrained', 'random_init'):
        for key in ('knn_top1', 'linear_probe_top1'):
            assert 0 <= summary[name][key] <= 100
    assert sorted(summary['detection_per_epoch']) == [1, 2]
    assert 0 <= summary['detection_last_epoch']['auc_dilemma'] <= 1
    assert osp.getsize(summary['misplacement_png']) > 0
    saved = json.load(open(tmp_path / 'work' / 'summary.json'))
    assert saved['random_init'] == summary['random_init']
