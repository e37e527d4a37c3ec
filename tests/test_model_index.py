"""The model index lists every config exactly once, in mmpretrain's format,
and stays in sync with the configs and READMEs."""
import collections
import glob
import os
import os.path as osp

import pytest
import yaml
from conftest import REPO_ROOT, load_tool
from mmengine.config import Config

import dilemma_mm  # noqa: F401
from dilemma_mm.apis import list_models
from dilemma_mm.checkpoint.download import HASH_NAME

FIX = ('run `python tools/misc/update_model_index.py` after adding, '
       'renaming or removing a config')


def read_yaml(path: str):
    with open(osp.join(REPO_ROOT, path)) as f:
        return yaml.safe_load(f)


def all_configs() -> set:
    paths = glob.glob(
        osp.join(REPO_ROOT, 'configs', '**', '*.py'), recursive=True)
    return {
        osp.relpath(p, REPO_ROOT)
        for p in paths if '_base_' not in p.split(os.sep)
    }


def index_models() -> list:
    index = read_yaml('model-index.yml')
    assert isinstance(index.get('Import'), list) and index['Import'], \
        'model-index.yml must hold an Import list (mmengine parses it ' \
        'for every dilemma_mm:: config)'
    models = []
    for metafile in index['Import']:
        assert osp.isfile(osp.join(REPO_ROOT, metafile)), metafile
        models += [(metafile, m) for m in read_yaml(metafile)['Models']]
    return models


def test_every_config_is_indexed_exactly_once():
    counts = collections.Counter(m['Config'] for _, m in index_models())
    missing = sorted(all_configs() - set(counts))
    twice = sorted(c for c, n in counts.items() if n > 1)
    gone = sorted(c for c in counts if not osp.isfile(osp.join(REPO_ROOT, c)))
    assert not missing, f'configs missing from the model index: {missing}; '\
        f'{FIX}'
    assert not twice, f'configs indexed twice: {twice}; {FIX}'
    assert not gone, f'index entries without a config: {gone}; {FIX}'
    names = collections.Counter(m['Name'].lower() for _, m in index_models())
    assert not [n for n, c in names.items() if c > 1], 'duplicate names'


def test_metafiles_follow_mmpretrain_format():
    for metafile in read_yaml('model-index.yml')['Import']:
        meta = read_yaml(metafile)
        collections_ = {c['Name']: c for c in meta['Collections']}
        for collection in collections_.values():
            assert collection['Paper']['Title'] and collection['Paper']['URL']
            assert osp.isfile(osp.join(REPO_ROOT, collection['README']))
        for model in meta['Models']:
            assert {'Name', 'Metadata', 'In Collection', 'Results',
                    'Config'} <= set(model), model.get('Name')
            assert model['In Collection'] in collections_
            assert model['Config'].startswith(osp.dirname(metafile) + '/')
            # only what this project measured or published
            for result in model['Results'] or []:
                assert {'Task', 'Dataset', 'Metrics'} <= set(result)
            if 'Weights' in model:
                assert HASH_NAME.search(model['Weights']), model['Weights']


def test_index_files_and_readmes_are_up_to_date():
    update = load_tool('tools/misc/update_model_index.py')
    stale = [
        path for path, text in update.planned_files().items()
        if not osp.isfile(osp.join(REPO_ROOT, path))
        or open(osp.join(REPO_ROOT, path)).read() != text
    ]
    assert not stale, f'stale model index files {stale}; {FIX}'


def test_apis_list_the_index():
    assert list_models() == sorted(m['Name'].lower()
                                   for _, m in index_models())
    assert 'dilemma-mocov3_vit-small-p16_16xb256-amp-coslr-300e_in1k' in \
        list_models('dilemma-mocov3')


def test_dilemma_mm_configs_resolve_through_the_installed_index(
        tmp_path, monkeypatch):
    # mmengine parses .mim/model-index.yml and every metafile it imports
    # to resolve a `dilemma_mm::` path
    monkeypatch.chdir(tmp_path)
    (tmp_path / 'downstream.py').write_text(
        "_base_ = 'dilemma_mm::dilemma/"
        "dilemma-mocov3_vit-tiny-p8-convstem_1xb128-coslr-8e_shapes.py'\n")
    cfg = Config.fromfile(str(tmp_path / 'downstream.py'))
    assert cfg.model.type == 'DilemmaMoCoV3'


def test_update_script_keeps_hand_written_fields(tmp_path):
    update = load_tool('tools/misc/update_model_index.py')
    folder = tmp_path / 'configs' / 'dilemma'
    (tmp_path / 'configs' / '_base_').mkdir(parents=True)
    (tmp_path / 'configs' / '_base_' / 'x.py').write_text('')
    folder.mkdir()
    (folder / 'old_1xb8-5e_in1k.py').write_text('# Old recipe.\nx = 1\n')
    (folder / 'dilemma-simclr_vit-small-p16_8xb256-coslr-100e_in100.py'
     ).write_text('# New recipe: DILEMMA + SimCLR.\nx = 2\n')
    measured = [
        dict(
            Task='Image Classification',
            Dataset='Shapes',
            Metrics={'Top 1 Accuracy': 50.0})
    ]
    (folder / 'metafile.yml').write_text(
        yaml.safe_dump(
            dict(
                Collections=[
                    dict(
                        Name='Mine',
                        Paper=dict(Title='T', URL='u'),
                        README='configs/dilemma/README.md')
                ],
                Models=[
                    dict(
                        Name='old_1xb8-5e_in1k',
                        Metadata=dict(Epochs=5, Note='hand-written'),
                        **{'In Collection': 'Mine'},
                        Results=measured,
                        Config='configs/dilemma/old_1xb8-5e_in1k.py'),
                    dict(
                        Name='gone',
                        Results=None,
                        Config='configs/dilemma/gone.py')
                ])))
    (folder / 'README.md').write_text('# Mine\n\nHand-written.\n\n'
                                      f'{update.BEGIN}\nold\n{update.END}\n'
                                      'Footer.\n')
    assert update.main(['--root', str(tmp_path), '--check']) == 1
    assert update.main(['--root', str(tmp_path)]) == 0
    assert update.main(['--root', str(tmp_path), '--check']) == 0

    meta = yaml.safe_load((folder / 'metafile.yml').read_text())
    old, new = meta['Models']
    assert old['Results'] == measured and old['Metadata']['Note']
    assert new == {
        'Name':
        'dilemma-simclr_vit-small-p16_8xb256-coslr-100e_in100',
        'Metadata': {
            'Epochs': 100,
            'Batch Size': 2048,
            'Training Data': 'ImageNet-100'
        },
        'In Collection':
        'Mine',
        'Results':
        None,
        'Config':
        'configs/dilemma/'
        'dilemma-simclr_vit-small-p16_8xb256-coslr-100e_in100.py'
    }
    readme = (folder / 'README.md').read_text()
    assert readme.startswith('# Mine\n\nHand-written.') and \
        readme.endswith('Footer.\n')
    assert 'Top 1 Accuracy 50.0' in readme and 'New recipe' in readme
    assert 'bash tools/dist_train.sh configs/dilemma/dilemma-simclr' in readme
    index = yaml.safe_load((tmp_path / 'model-index.yml').read_text())
    assert index == {'Import': ['configs/dilemma/metafile.yml']}


@pytest.mark.parametrize('name,expected', [
    ('dilemma-mocov3_vit-small-p16_16xb256-amp-coslr-300e_in1k',
     dict(
         Epochs=300,
         **{'Batch Size': 4096},
         **{'Training Data': 'ImageNet-1k'})),
    ('vit-tiny-p8-convstem_dilemma-mocov3-8e-pre_'
     '1xb128-linear-coslr-5e_shapes',
     dict(
         Epochs=5,
         **{'Batch Size': 128},
         **{'Training Data': 'Shapes (generated)'})),
])
def test_metadata_from_config_names(name, expected):
    update = load_tool('tools/misc/update_model_index.py')
    assert update.metadata_from_name(name) == expected
