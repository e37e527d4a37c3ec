"""The supervised reference tool trains on generated shapes and reports
per-epoch accuracy."""
import pytest
from conftest import load_tool

from dilemma_mm.datasets.shapes import make_shapes_dataset


@pytest.mark.parametrize('model', ['vit', 'cnn'])
def test_learnability_reports_each_epoch(tmp_path, model):
    data = str(tmp_path / 'shapes')
    make_shapes_dataset(data, num_train=4, num_val=2, size=64, verbose=False)
    tool = load_tool('tools/analysis_tools/shapes_learnability.py')
    history = tool.main(
        ['--data', data, '--model', model, '--epochs', '2', '--lr', '1e-3'])
    assert [h['epoch'] for h in history] == [1, 2]
    for h in history:
        assert 0 <= h['val_top1'] <= 100
        assert h['train_loss'] > 0


def test_learnability_names_missing_data(tmp_path):
    tool = load_tool('tools/analysis_tools/shapes_learnability.py')
    with pytest.raises(FileNotFoundError, match='make_shapes.py'):
        tool.main(['--data', str(tmp_path / 'none'), '--epochs', '1'])
