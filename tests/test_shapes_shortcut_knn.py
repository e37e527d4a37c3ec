"""shapes_shortcut_knn.py: the nuisances of the shape data read back from
a backbone's features, on a small generated folder."""
import json
import os.path as osp
import shutil

import numpy as np
import pytest
from conftest import run_tool
from PIL import Image

from dilemma_mm.datasets.generators import make_shapes_dataset

TOOL = 'tools/analysis_tools/shapes_shortcut_knn.py'
CONFIG = 'configs/mocov3/mocov3_vit-tiny-p8-convstem_1xb128-coslr-6e_shapes.py'


@pytest.fixture(scope='module')
def shapes_and_random_init(tmp_path_factory):
    root = tmp_path_factory.mktemp('shortcut')
    data = str(root / 'shapes')
    make_shapes_dataset(
        data,
        num_train=60,
        num_val=20,
        classes=['circle', 'square', 'star'],
        verbose=False)
    ckpt = str(root / 'random_init.pth')
    run_tool(['tools/misc/save_random_init.py', CONFIG, ckpt])
    return data, ckpt


def test_random_backbone_keeps_the_colours(shapes_and_random_init, tmp_path):
    data, ckpt = shapes_and_random_init
    out = tmp_path / 'shortcut.json'
    run_tool([TOOL, CONFIG, ckpt, '--data', data, '--out', out])
    table = json.loads(out.read_text())['property']
    assert set(table) == {
        'class', 'fg_colour', 'bg_colour', 'fg_texture', 'bg_texture',
        'center_x', 'radius', 'angle', 'light_falloff', 'noise_std'
    }
    # Colour is the largest pixel statistic; even untrained features
    # keep it, far above the rate of always answering the commonest colour.
    assert table['bg_colour']['knn_top1'] > table['bg_colour']['majority'] + 40
    # The medians split the continuous nuisances in two halves.
    assert 30 <= table['radius']['majority'] <= 70


def test_changed_image_is_named(shapes_and_random_init, tmp_path):
    data, ckpt = shapes_and_random_init
    copy = tmp_path / 'shapes'
    shutil.copytree(data, copy)
    first = copy / 'train' / 'circle' / '00000.png'
    pixels = np.asarray(Image.open(first)).copy()
    pixels[0, 0] = 255 - pixels[0, 0]
    Image.fromarray(pixels).save(first)
    proc = run_tool([TOOL, CONFIG, ckpt, '--data', copy], check=False)
    assert proc.returncode != 0
    assert f'{osp.join("circle", "00000.png")} is not the image its name ' \
        'draws' in proc.stdout


def test_folder_without_meta_is_refused(shapes_and_random_init, tmp_path):
    _, ckpt = shapes_and_random_init
    (tmp_path / 'train').mkdir()
    proc = run_tool([TOOL, CONFIG, ckpt, '--data', tmp_path], check=False)
    assert proc.returncode != 0
    assert 'has no meta.json' in proc.stdout


def test_textured_style_reads_back_its_own_nuisances(shapes_and_random_init,
                                                     tmp_path):
    _, ckpt = shapes_and_random_init
    data = str(tmp_path / 'textured')
    make_shapes_dataset(
        data,
        num_train=40,
        num_val=20,
        classes=['circle', 'square'],
        style='textured',
        verbose=False)
    out = tmp_path / 'shortcut.json'
    run_tool([TOOL, CONFIG, ckpt, '--data', data, '--out', out])
    table = json.loads(out.read_text())['property']
    regions = {
        f'{region}_{name}'
        for region in ('fg', 'bg')
        for name in ('family', 'hue', 'luminance', 'orientation', 'period')
    }
    assert set(table) == regions | {
        'class', 'center_x', 'radius', 'angle', 'light_falloff',
        'light_direction', 'noise_std'
    }
    for row in table.values():
        assert 0 <= row['knn_top1'] <= 100 and 0 < row['majority'] <= 100
    # medians split the continuous ones, texture periods included (NaN for
    # pink noise, left out)
    assert 30 <= table['fg_period']['majority'] <= 70
