"""The built-in shape data: determinism, layout, and class-free nuisances."""
import importlib.util
import json
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from dilemma_mm.datasets.generators import shapes as gen
from dilemma_mm.datasets.generators.nuisances import (CONTINUOUS,
                                                      nuisance_labels)
from dilemma_mm.datasets.generators.textures import FAMILIES

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def load_cli():
    path = osp.join(REPO, 'tools', 'dataset_converters', 'make_shapes.py')
    spec = importlib.util.spec_from_file_location('make_shapes_cli', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_tree(root):
    """{relative path: bytes} of every file under ``root``."""
    tree = {}
    for dirpath, _, files in os.walk(root):
        for name in files:
            path = osp.join(dirpath, name)
            with open(path, 'rb') as f:
                tree[osp.relpath(path, root)] = f.read()
    return tree


def test_classes():
    assert len(gen.SHAPE_CLASSES) >= 10
    assert list(gen.SHAPE_CLASSES) == sorted(set(gen.SHAPE_CLASSES))


def test_render_is_deterministic_per_seed():
    for shape in gen.SHAPE_CLASSES:
        a = gen.render_shape(gen.sample_rng(0, 'train', shape, 7), shape, 48)
        b = gen.render_shape(gen.sample_rng(0, 'train', shape, 7), shape, 48)
        c = gen.render_shape(gen.sample_rng(1, 'train', shape, 7), shape, 48)
        assert a.shape == (48, 48, 3) and a.dtype == np.uint8
        assert np.array_equal(a, b)
        assert not np.array_equal(a, c)
    # Every image of a dataset has its own stream.
    assert not np.array_equal(
        gen.render_shape(gen.sample_rng(0, 'train', 'star', 0), 'star'),
        gen.render_shape(gen.sample_rng(0, 'val', 'star', 0), 'star'))


def test_dataset_bytes_deterministic(tmp_path):
    kwargs = dict(num_train=2, num_val=1, size=32, verbose=False)
    gen.make_shapes_dataset(str(tmp_path / 'a'), seed=0, **kwargs)
    gen.make_shapes_dataset(str(tmp_path / 'b'), seed=0, workers=2, **kwargs)
    gen.make_shapes_dataset(str(tmp_path / 'c'), seed=1, **kwargs)
    a, b, c = (read_tree(tmp_path / d) for d in 'abc')
    assert a == b
    assert a.keys() == c.keys()
    assert all(a[k] != c[k] for k in a if k.endswith('.png'))

    n = len(gen.SHAPE_CLASSES)
    assert sum(k.startswith('train') for k in a) == 2 * n
    assert sum(k.startswith('val') for k in a) == n
    img = Image.open(tmp_path / 'a' / 'train' / 'circle' / '00001.png')
    assert img.size == (32, 32) and img.mode == 'RGB'
    meta = json.loads(a['meta.json'])
    assert meta['classes'] == list(gen.SHAPE_CLASSES)
    assert meta['counts'] == dict(train=2 * n, val=n)


def test_skip_when_complete_and_regenerate_on_change(tmp_path, capsys):
    out = str(tmp_path / 'shapes')
    kwargs = dict(num_train=2, num_val=1, size=16, classes=['ring', 'star'])
    gen.make_shapes_dataset(out, **kwargs)
    stamp = os.stat(osp.join(out, 'meta.json')).st_mtime_ns
    gen.make_shapes_dataset(out, **kwargs)
    assert 'up to date' in capsys.readouterr().out
    assert os.stat(osp.join(out, 'meta.json')).st_mtime_ns == stamp

    kwargs['num_val'] = 3
    gen.make_shapes_dataset(out, **kwargs)
    assert len(os.listdir(osp.join(out, 'val', 'star'))) == 3
    assert sorted(os.listdir(tmp_path)) == ['shapes']  # no temp folders
    with pytest.raises(ValueError, match='classes'):
        gen.make_shapes_dataset(out, classes=['circle', 'blob'])
    # A folder that is not ours is never replaced.
    (tmp_path / 'shapes' / 'notes.txt').write_text('mine')
    with pytest.raises(FileExistsError):
        gen.make_shapes_dataset(out, **dict(kwargs, seed=3))


def test_colour_and_position_do_not_tell_classes(tmp_path):
    """Nearest-class-mean on mean RGB (or on the shape's centre) is chance.

    The shapes themselves stay mostly inside the image.
    """
    n_train, n_test, size = 30, 20, 32
    feats, labels, centres, visible = [], [], [], []
    for label, shape in enumerate(gen.SHAPE_CLASSES):
        for i in range(n_train + n_test):
            img, p = gen.render_shape(
                gen.sample_rng(0, 'train', shape, i), shape, size, True)
            feats.append(img.reshape(-1, 3).mean(0))
            centres.append(p['center'])
            labels.append(label)
            if i < 3:
                inside = gen.shape_mask(shape, p['center'], p['radius'],
                                        p['angle'], size).sum()
                whole = gen.shape_mask(shape, np.add(p['center'],
                                                     size), p['radius'],
                                       p['angle'], 3 * size).sum()
                visible.append(inside / whole)
    labels = np.array(labels)
    train = np.arange(len(labels)) % (n_train + n_test) < n_train
    chance = 1 / len(gen.SHAPE_CLASSES)
    for x in (np.array(feats), np.array(centres)):
        means = np.stack([
            x[train & (labels == c)].mean(0)
            for c in range(len(gen.SHAPE_CLASSES))
        ])
        dists = ((x[~train, None] - means[None])**2).sum(-1)
        accuracy = (dists.argmin(1) == labels[~train]).mean()
        assert accuracy < 2.5 * chance, accuracy
    assert min(visible) > 0.85


def test_nuisances_shared_by_all_classes():
    """Colours come from the small palette (so they identify an image
    poorly), shapes sit near the middle, and light falls from the top: the
    same for every class."""
    size = 32
    for label, shape in enumerate(gen.SHAPE_CLASSES):
        top = bottom = 0.
        for i in range(20):
            img, p = gen.render_shape(
                gen.sample_rng(0, 'train', shape, i), shape, size, True)
            fg, bg = np.array(p['fg_colour']), np.array(p['bg_colour'])
            # max-channel distance of fg and bg to each palette entry, (2, 8)
            distance = np.abs(gen.PALETTE[None] - np.stack([fg, bg])[:, None])
            distance = distance.max(-1)
            assert (distance.min(1) <= 15).all()
            fg_entry, bg_entry = distance.argmin(1)
            assert fg_entry != bg_entry
            offset = np.abs(np.subtract(p['center'], size / 2)) / size
            assert (offset <= gen.CENTER_JITTER + 1e-6).all()
            rows = img.astype(float).mean((1, 2))
            top, bottom = top + rows[:4].mean(), bottom + rows[-4:].mean()
        # brighter at the top for every class (not a class cue)
        assert top > bottom * 1.05, (shape, top, bottom)


def test_every_nuisance_is_independent_of_the_class():
    """Rotation (within +-max_rotation), scale, position, lighting and noise
    are drawn alike for every class: nearest-class-mean on them is chance.
    """
    n_train, n_test = 40, 40
    params, labels = [], []
    for label, shape in enumerate(gen.SHAPE_CLASSES):
        for i in range(n_train + n_test):
            _, p = gen.render_shape(
                gen.sample_rng(1, 'train', shape, i), shape, 32, True)
            assert abs(np.rad2deg(p['angle'])) <= gen.MAX_ROTATION + 1e-6
            params.append([
                np.rad2deg(p['angle']) / gen.MAX_ROTATION, p['radius'] / 32,
                *np.divide(p['center'], 32), p['light_falloff'],
                p['noise_std'] / 8
            ])
            labels.append(label)
    x, labels = np.array(params), np.array(labels)
    train = np.arange(len(labels)) % (n_train + n_test) < n_train
    means = np.stack([
        x[train & (labels == c)].mean(0)
        for c in range(len(gen.SHAPE_CLASSES))
    ])
    dists = ((x[~train, None] - means[None])**2).sum(-1)
    accuracy = (dists.argmin(1) == labels[~train]).mean()
    assert accuracy < 2.5 / len(gen.SHAPE_CLASSES), accuracy


def test_max_rotation_sets_the_range(tmp_path):
    angles = [
        np.rad2deg(
            gen.render_shape(
                gen.sample_rng(0, 'train', 'star', i),
                'star',
                16,
                True,
                max_rotation=max_rotation)[1]['angle'])
        for max_rotation in (0, 180) for i in range(50)
    ]
    assert not any(angles[:50])
    assert max(np.abs(angles[50:])) > 90  # any angle
    with pytest.raises(ValueError, match='max_rotation'):
        gen.make_shapes_dataset(str(tmp_path / 'x'), max_rotation=200)


def test_custom_dataset_reads_folder(tmp_path):
    from mmpretrain.datasets import CustomDataset
    out = str(tmp_path / 'shapes')
    gen.make_shapes_dataset(
        out, num_train=2, num_val=1, size=16, verbose=False)
    train = CustomDataset(data_root=out, data_prefix='train')
    val = CustomDataset(data_root=out, data_prefix='val')
    assert train.CLASSES == gen.SHAPE_CLASSES == val.CLASSES
    assert len(train) == 2 * len(gen.SHAPE_CLASSES)
    assert len(val) == len(gen.SHAPE_CLASSES)
    for i in range(len(train)):
        info = train.get_data_info(i)
        folder = osp.basename(osp.dirname(info['img_path']))
        assert gen.SHAPE_CLASSES[info['gt_label']] == folder


def test_cli(tmp_path):
    cli = load_cli()
    out = str(tmp_path / 'cli')
    meta = cli.main([
        '--out', out, '--num-train', '3', '--num-val', '1', '--size', '24',
        '--seed', '5', '--classes', 'square', 'circle'
    ])
    assert meta['classes'] == ['circle', 'square']
    assert sorted(os.listdir(osp.join(out, 'train'))) == meta['classes']
    assert meta['params']['seed'] == 5
    with pytest.raises(SystemExit):
        cli.main(['--out', out, '--classes', 'blob'])


def nearest_class_mean_accuracy(x: np.ndarray, labels: np.ndarray,
                                train: np.ndarray) -> float:
    """Accuracy of nearest-class-mean on features ``x`` (N, D), fitted on
    the ``train`` rows and scored on the others."""
    classes = np.unique(labels)
    means = np.stack([x[train & (labels == c)].mean(0) for c in classes])
    dists = ((x[~train, None] - means[None])**2).sum(-1)
    return (classes[dists.argmin(1)] == labels[~train]).mean()


def textured_sample(n_per_class: int, seed: int = 0, size: int = 32):
    """Images, their nuisance labels and classes of the textured style."""
    images, rows, labels = [], [], []
    for label, shape in enumerate(gen.SHAPE_CLASSES):
        for i in range(n_per_class):
            img, p = gen.render_shape(
                gen.sample_rng(seed, 'train', shape, i),
                shape,
                size,
                True,
                style='textured')
            images.append(img)
            rows.append(nuisance_labels(p, 'textured'))
            labels.append(label)
    return np.stack(images), rows, np.array(labels)


def test_textured_style_is_deterministic_and_textured():
    a = gen.render_shape(
        gen.sample_rng(0, 'val', 'ring', 3), 'ring', style='textured')
    b = gen.render_shape(
        gen.sample_rng(0, 'val', 'ring', 3), 'ring', style='textured')
    flat = gen.render_shape(gen.sample_rng(0, 'val', 'ring', 3), 'ring')
    assert np.array_equal(a, b) and not np.array_equal(a, flat)
    with pytest.raises(ValueError, match='style'):
        gen.render_shape(
            gen.sample_rng(0, 'val', 'ring', 3), 'ring', style='photo')
    # Both regions are textured: far more distinct colours than a flat
    # image's two jittered ones plus noise would need to vary as much.
    _, p = gen.render_shape(
        gen.sample_rng(0, 'val', 'ring', 3),
        'ring',
        32,
        True,
        style='textured')
    for region in ('fg', 'bg'):
        assert p[f'{region}_family'] in FAMILIES
        assert np.ptp(p[f'{region}_colours'], axis=0).max() > 0


def test_textured_nuisances_do_not_tell_classes():
    """Mean colour, every drawn nuisance (texture families, hues,
    luminances, orientations, periods, size, rotation, centre, light, noise)
    and the image's colour histogram classify the shapes at chance;
    only the outline tells them apart."""
    n = 60
    images, rows, labels = textured_sample(n, seed=2)
    train = np.arange(len(labels)) % n < n // 2
    chance = 1 / len(gen.SHAPE_CLASSES)
    names = sorted(rows[0])
    nuisances = np.array([[r[k] for k in names] for r in rows])
    nuisances = np.nan_to_num(nuisances, nan=-1.)
    # each nuisance standardised, so none dominates the distance
    nuisances = (nuisances - nuisances.mean(0)) / (nuisances.std(0) + 1e-6)
    mean_rgb = images.reshape(len(images), -1, 3).mean(1)
    # 4 x 4 x 4 colour histogram of the whole image
    bins = (images // 64).reshape(len(images), -1, 3) @ [16, 4, 1]
    histogram = np.stack([np.bincount(b, minlength=64) for b in bins])
    for name, x in (('nuisances', nuisances), ('mean RGB', mean_rgb),
                    ('colour histogram', histogram.astype(float))):
        accuracy = nearest_class_mean_accuracy(x, labels, train)
        assert accuracy < 2.5 * chance, (name, accuracy)
    # every family fills figure and background of every class
    for region in ('fg', 'bg'):
        for label in range(len(gen.SHAPE_CLASSES)):
            families = {
                r[f'{region}_family']
                for r, y in zip(rows, labels) if y == label
            }
            assert families == set(range(len(FAMILIES))), (region, label)


def test_textured_regions_differ_and_light_comes_from_any_side():
    _, rows, _ = textured_sample(8, seed=3)
    directions = np.bincount([r['light_direction'] for r in rows], minlength=4)
    assert (directions > 0).all()  # all four sides, 96 images
    for shape in gen.SHAPE_CLASSES[:3]:
        for i in range(10):
            _, p = gen.render_shape(
                gen.sample_rng(0, 'train', shape, i),
                shape,
                32,
                True,
                style='textured')
            distance = np.linalg.norm(p['fg_mean_colour'] -
                                      p['bg_mean_colour'])
            assert distance >= gen.MIN_REGION_CONTRAST


def test_nuisance_labels_name_every_continuous_property():
    for style in ('flat', 'textured'):
        _, p = gen.render_shape(
            gen.sample_rng(0, 'train', 'star', 0),
            'star',
            32,
            True,
            style=style)
        labels = nuisance_labels(p, style)
        assert set(CONTINUOUS[style]) <= set(labels)
        categorical = set(labels) - set(CONTINUOUS[style])
        assert all(
            np.isnan(labels[k]) or float(labels[k]).is_integer()
            for k in categorical)


def test_cli_textured_style(tmp_path):
    cli = load_cli()
    out = str(tmp_path / 'textured')
    meta = cli.main([
        '--out', out, '--num-train', '2', '--num-val', '1', '--size', '16',
        '--classes', 'ring', 'star', '--style', 'textured'
    ])
    assert meta['params']['style'] == 'textured'
    image = np.asarray(Image.open(osp.join(out, 'val', 'ring', '00000.png')))
    expected = gen.render_shape(
        gen.sample_rng(0, 'val', 'ring', 0), 'ring', 16, style='textured')
    assert np.array_equal(image, expected)
    # The same folder asked for in the flat style is another data set.
    flat = cli.main([
        '--out', out, '--num-train', '2', '--num-val', '1', '--size', '16',
        '--classes', 'ring', 'star'
    ])
    assert flat['params']['style'] == 'flat'
