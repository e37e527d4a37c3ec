"""Misplacement visualisation: the layout follows the config's
TokenDropTransform, the probabilities are the model's, the PNG is drawn."""
import re

import numpy as np
import pytest
import torch
from conftest import REPO_ROOT, load_tool, run_tool
from PIL import Image

import dilemma_mm  # noqa: F401
from dilemma_mm.apis import init_model
from dilemma_mm.utils import load_config
from dilemma_mm.visualization import (build_token_drop, draw_misplacement,
                                      predict_misplacement,
                                      visualize_misplacement)

CONFIG = f'{REPO_ROOT}/configs/dilemma/' \
    'dilemma-mocov3_vit-tiny-p8-convstem_1xb128-coslr-8e_shapes.py'
SMALL = ['model.backbone.arch.num_layers=1']


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    root = tmp_path_factory.mktemp('vis')
    cfg = load_config(CONFIG)
    cfg.merge_from_dict({'model.backbone.arch.num_layers': 1})
    torch.manual_seed(0)
    model = init_model(cfg)
    torch.save(dict(state_dict=model.state_dict()), root / 'model.pth')
    rng = np.random.default_rng(0)
    for i, size in enumerate([(32, 32), (45, 35)]):
        Image.fromarray(rng.integers(0, 256, size + (3, ),
                                     np.uint8)).save(root / f'img{i}.png')
    return root


def test_predictions_follow_config_and_model(checkpoint):
    cfg = load_config(CONFIG)
    cfg.merge_from_dict({'model.backbone.arch.num_layers': 1})
    images = [str(checkpoint / 'img0.png'), str(checkpoint / 'img1.png')]
    state = np.random.get_state()
    preds = visualize_misplacement(
        cfg,
        str(checkpoint / 'model.pth'),
        images,
        str(checkpoint / 'out.png'),
        seed=5)
    assert np.all(np.random.get_state()[1] == state[1])  # left untouched
    assert len(preds) == 2
    for pred in preds:
        # the config: 32 px, 8 px patches, drop 0.5 -> 8 of 16 kept
        assert pred.image.shape == (32, 32, 3) and pred.grid == (4, 4)
        assert len(pred.keep) == 8 == len(pred.prob)
        assert ((pred.prob > 0) & (pred.prob < 1)).all()
        assert len(np.unique(pred.keep)) == 8
    again = visualize_misplacement(
        cfg, str(checkpoint / 'model.pth'), images[:1], seed=5)[0]
    np.testing.assert_array_equal(again.keep, preds[0].keep)
    np.testing.assert_array_equal(again.pos, preds[0].pos)
    np.testing.assert_allclose(again.prob, preds[0].prob)
    png = Image.open(checkpoint / 'out.png')
    assert png.size[0] > 500 and png.size[1] > 400


def test_probabilities_are_the_heads(checkpoint):
    cfg = load_config(CONFIG)
    cfg.merge_from_dict({'model.backbone.arch.num_layers': 1})
    model = init_model(cfg, str(checkpoint / 'model.pth'))
    token_drop = build_token_drop(cfg, drop_ratio=0.25, misplace_prob=0.5)
    pred = predict_misplacement(
        model, str(checkpoint / 'img1.png'), token_drop, seed=1)
    assert len(pred.keep) == 12 and pred.misplaced.any()
    image = torch.from_numpy(pred.image[..., ::-1].copy()).permute(2, 0, 1)
    x = model.data_preprocessor(
        dict(inputs=image[None].float(), data_samples=None))['inputs']
    with torch.no_grad():
        _, tokens = model.backbone.forward_with_patch_tokens(
            x,
            torch.from_numpy(pred.keep)[None],
            torch.from_numpy(pred.pos)[None])
        expected = model.misplacement_head(tokens).sigmoid()[0]
    np.testing.assert_allclose(pred.prob, expected.numpy(), atol=1e-6)
    fig = draw_misplacement([pred])
    assert len(fig.axes) == 4  # three panels and a colour bar


def test_command_line(checkpoint, capsys):
    tool = load_tool('tools/analysis_tools/visualize_misplacement.py')
    out = checkpoint / 'cli.png'
    tool.main([
        CONFIG,
        str(checkpoint / 'model.pth'),
        str(checkpoint / 'img0.png'), '--out',
        str(out), '--drop-ratio', '0.25', '--misplace-prob', '0.3', '--seed',
        '2', '--cfg-options'
    ] + SMALL)
    assert 'img0.png: 12 kept' in capsys.readouterr().out
    assert Image.open(out).size[0] > 0


def test_command_line_prints_no_mean_over_no_tokens(checkpoint, capsys):
    """Issue 19: with no misplaced token the mean of their probabilities
    was printed as 0.000, as if the model were sure of them all."""
    tool = load_tool('tools/analysis_tools/visualize_misplacement.py')
    tool.main([
        CONFIG,
        str(checkpoint / 'model.pth'),
        str(checkpoint / 'img0.png'), '--out',
        str(checkpoint / 'none.png'), '--misplace-prob', '0', '--cfg-options'
    ] + SMALL)
    out = capsys.readouterr().out
    assert re.search(
        r'img0.png: 8 kept, 0 misplaced, accuracy [\d.]+, mean '
        r'P\(misplaced\) - on misplaced, 0\.\d{3} on the others', out), out


def test_command_line_refuses_a_partial_checkpoint(checkpoint):
    # Issue 11, loading: the 1-layer checkpoint on a 2-layer model leaves the
    # second layer of both encoders missing: refused, naming the keys, no
    # PNG; --allow-partial draws anyway and logs the keys.
    out = checkpoint / 'partial.png'
    tool = [
        'tools/analysis_tools/visualize_misplacement.py', CONFIG,
        checkpoint / 'model.pth', checkpoint / 'img0.png', '--out', out,
        '--cfg-options', 'model.backbone.arch.num_layers=2'
    ]
    proc = run_tool(tool, check=False)
    assert proc.returncode == 1
    assert (f'PartialCheckpointError: {checkpoint / "model.pth"} does not '
            'fit the model: missing keys ') in proc.stdout
    assert 'backbone.layers.1.ln1.weight' in proc.stdout
    assert 'unexpected keys 0 ()' in proc.stdout
    assert not out.exists()

    proc = run_tool(tool[:2] + ['--allow-partial'] + tool[2:])
    assert 'missing keys [' in proc.stdout and 'img0.png: 8 kept' in (
        proc.stdout)
    assert Image.open(out).size[0] > 0


def test_needs_a_dilemma_config():
    cfg = load_config(f'{REPO_ROOT}/configs/mocov3/'
                      'mocov3_vit-tiny-p8-convstem_1xb128-coslr-6e_shapes.py')
    with pytest.raises(ValueError, match='no TokenDropTransform'):
        build_token_drop(cfg)


@pytest.mark.parametrize('content, message', [
    (b'not an image at all', 'cannot be decoded as an image'),
    (None, 'no such image file'),
])
def test_command_line_names_a_bad_image(checkpoint, capsys, content, message):
    """Issue 19, item 8: an undecodable or missing image is named, before
    the model is built (it was an AttributeError inside mmcv)."""
    tool = load_tool('tools/analysis_tools/visualize_misplacement.py')
    bad = checkpoint / ('broken.png' if content else 'missing.png')
    if content is not None:
        bad.write_bytes(content)
    with pytest.raises(SystemExit, match=f'{bad}: {message}'):
        tool.main([
            CONFIG,
            str(checkpoint / 'model.pth'),
            str(checkpoint / 'img0.png'),
            str(bad), '--out',
            str(checkpoint / 'bad.png'), '--cfg-options'
        ] + SMALL)
    assert not (checkpoint / 'bad.png').exists()
