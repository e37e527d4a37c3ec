"""Models by name: verified, resumable downloads from a local HTTP server,
the cache, mirrors, publish_model round trips and mmpretrain's ModelHub."""
import contextlib
import functools
import http.server
import os
import os.path as osp
import pickle
import threading

import mmpretrain
import pytest
import torch
import yaml
from conftest import REPO_ROOT, load_tool

import dilemma_mm  # noqa: F401
from dilemma_mm.apis import (ChecksumError, get_model, init_model, list_models,
                             load_checkpoint_file, register_model_index,
                             unregister_model_index)
from dilemma_mm.checkpoint.download import HASH_NAME, sha256sum
from dilemma_mm.utils import load_config

NAME = 'dilemma-test_vit-nano-p8_1xb4-1e_shapes'
TINY_CONFIG = f"""
_base_ = '{REPO_ROOT}/configs/dilemma/dilemma-mocov3_vit-tiny-p8-convstem_1xb128-coslr-8e_shapes.py'
model = dict(
    backbone=dict(arch=dict(embed_dims=32, num_layers=1, num_heads=2,
                            feedforward_channels=64)),
    neck=dict(in_channels=32, hid_channels=64, out_channels=16),
    head=dict(predictor=dict(in_channels=16, hid_channels=32,
                             out_channels=16)))
"""  # noqa: E501


class RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files, honours ``Range: bytes=N-`` unless the server's
    ``ranges`` is False, and records each request's path and range."""

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        header = self.headers.get('Range')
        self.server.requests.append((self.path, header))
        path = self.translate_path(self.path)
        if not osp.isfile(path):
            self.send_error(404)
            return
        with open(path, 'rb') as f:
            data = f.read()
        start = int(header[6:-1]) if header and self.server.ranges else 0
        if start >= len(data) > 0:
            self.send_response(416)
            self.end_headers()
            return
        self.send_response(206 if start else 200)
        if start:
            self.send_header('Content-Range',
                             f'bytes {start}-{len(data) - 1}/{len(data)}')
        self.send_header('Content-Length', str(len(data) - start))
        self.end_headers()
        self.wfile.write(data[start:])


@contextlib.contextmanager
def serve(directory: str, ranges: bool = True):
    server = http.server.ThreadingHTTPServer(
        ('127.0.0.1', 0), functools.partial(RangeHandler, directory=directory))
    server.requests, server.ranges = [], ranges
    server.url = f'http://127.0.0.1:{server.server_port}'
    thread = threading.Thread(
        target=server.serve_forever, kwargs=dict(poll_interval=0.05))
    thread.daemon = True
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope='module')
def zoo(tmp_path_factory):
    """A tiny config, a training checkpoint of it and its published file
    in ``served/``."""
    root = tmp_path_factory.mktemp('zoo')
    (root / 'served').mkdir()
    config = root / 'tiny_dilemma.py'
    config.write_text(TINY_CONFIG)
    torch.manual_seed(0)
    model = init_model(str(config))
    for param in model.parameters():  # not the initial values
        param.data.normal_()
    from mmengine.logging import HistoryBuffer
    training = dict(
        meta=dict(
            cfg=load_config(str(config)).pretty_text,
            epoch=1,
            iter=4,
            seed=0,
            dataset_meta=dict(classes=['circle', 'square'])),
        state_dict=model.state_dict(),
        optimizer=dict(state={}, param_groups=[dict(lr=0.1)]),
        message_hub=dict(
            log_scalars=dict(loss=HistoryBuffer([1., 2.], [1, 1]))),
        param_schedulers=[dict(last_epoch=3)])
    torch.save(training, root / 'epoch_1.pth')
    publish = load_tool('tools/model_converters/publish_model.py')
    published = publish.publish(
        str(root / 'epoch_1.pth'),
        str(root / 'served' / NAME),
        date='20261127')
    return dict(
        root=root,
        config=config,
        published=published,
        file_name=osp.basename(published),
        state_dict={
            k: v.clone()
            for k, v in model.state_dict().items()
        })


def write_index(directory, config: str, weights: str) -> str:
    """A model-index.yml + metafile.yml in ``directory`` for NAME."""
    meta = dict(
        Collections=[
            dict(
                Name='Test',
                Paper=dict(Title='t', URL='https://example.org'),
                README='README.md')
        ],
        Models=[
            dict(
                Name=NAME,
                Metadata=dict(Epochs=1),
                **{'In Collection': 'Test'},
                Results=None,
                Weights=weights,
                Config=osp.relpath(config, directory))
        ])
    with open(osp.join(directory, 'metafile.yml'), 'w') as f:
        yaml.safe_dump(meta, f, sort_keys=False)
    index = osp.join(directory, 'model-index.yml')
    with open(index, 'w') as f:
        yaml.safe_dump(dict(Import=['metafile.yml']), f)
    return index


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty torch hub cache; no mirror variables."""
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
    monkeypatch.delenv('DILEMMA_MM_URL_MAPPING', raising=False)
    monkeypatch.delenv('DILEMMA_MM_MIRROR', raising=False)
    return tmp_path / 'torch_home' / 'hub' / 'checkpoints'


@contextlib.contextmanager
def registered(zoo, weights: str):
    index = write_index(str(zoo['root']), str(zoo['config']), weights)
    assert register_model_index(index) == [NAME]
    try:
        yield index
    finally:
        unregister_model_index(index)


def assert_loaded(model, zoo) -> None:
    for key, value in model.state_dict().items():
        assert torch.equal(value, zoo['state_dict'][key]), key
    assert model._dataset_meta == dict(classes=['circle', 'square'])


def test_get_model_downloads_verifies_loads_then_uses_cache(zoo, cache):
    with serve(str(zoo['root'] / 'served')) as server:
        with registered(zoo, f'{server.url}/{zoo["file_name"]}'):
            assert NAME in list_models('dilemma-test')
            model = get_model(NAME, pretrained=True)
            assert_loaded(model, zoo)
            assert server.requests == [(f'/{zoo["file_name"]}', None)]
            assert sorted(os.listdir(cache)) == [
                zoo['file_name'], zoo['file_name'] + '.lock'
            ]
            server.shutdown()  # the second call must not need it
            server.server_close()
            assert_loaded(get_model(NAME, pretrained=True), zoo)


def test_corrupted_download_is_rejected_and_not_cached(zoo, cache, tmp_path):
    served = tmp_path / 'served'
    served.mkdir()
    data = bytearray(open(zoo['published'], 'rb').read())
    data[len(data) // 2] ^= 0xFF  # one flipped byte, same name
    (served / zoo['file_name']).write_bytes(bytes(data))
    with serve(str(served)) as server, \
            registered(zoo, f'{server.url}/{zoo["file_name"]}'):
        with pytest.raises(ChecksumError, match='does not match the hash'):
            get_model(NAME, pretrained=True)
    left = os.listdir(cache)
    assert zoo['file_name'] not in left
    assert zoo['file_name'] + '.partial' not in left


def test_corrupted_cache_entry_is_fetched_again(zoo, cache):
    cache.mkdir(parents=True)
    (cache / zoo['file_name']).write_bytes(b'not a checkpoint')
    with serve(str(zoo['root'] / 'served')) as server, \
            registered(zoo, f'{server.url}/{zoo["file_name"]}'):
        assert_loaded(get_model(NAME, pretrained=True), zoo)
        assert len(server.requests) == 1
    assert sha256sum(str(cache / zoo['file_name'])) == sha256sum(
        zoo['published'])


@pytest.mark.parametrize('ranges', [True, False])
def test_interrupted_download_resumes(zoo, cache, ranges):
    data = open(zoo['published'], 'rb').read()
    cache.mkdir(parents=True)
    (cache / (zoo['file_name'] + '.partial')).write_bytes(data[:1000])
    with serve(str(zoo['root'] / 'served'), ranges) as server, \
            registered(zoo, f'{server.url}/{zoo["file_name"]}'):
        assert_loaded(get_model(NAME, pretrained=True), zoo)
        # asked for the rest; a server without ranges sends it all again
        assert server.requests == [(f'/{zoo["file_name"]}', 'bytes=1000-')]
    assert not (cache / (zoo['file_name'] + '.partial')).exists()


def test_bad_partial_download_is_restarted_once(zoo, cache):
    cache.mkdir(parents=True)
    (cache / (zoo['file_name'] + '.partial')).write_bytes(b'x' * 1000)
    with serve(str(zoo['root'] / 'served')) as server, \
            registered(zoo, f'{server.url}/{zoo["file_name"]}'):
        assert_loaded(get_model(NAME, pretrained=True), zoo)
        assert [r[1] for r in server.requests] == ['bytes=1000-', None]


def test_mirrors(zoo, cache, monkeypatch):
    url = f'https://zoo.invalid/dilemma_mm/{zoo["file_name"]}'
    with serve(str(zoo['root'] / 'served')) as server, \
            registered(zoo, url):
        # url_mapping argument, as in mmpretrain.get_model
        model = get_model(
            NAME,
            pretrained=True,
            url_mapping=('https://zoo.invalid/dilemma_mm', server.url))
        assert_loaded(model, zoo)
        os.remove(cache / zoo['file_name'])
        # SRC=DST prefixes in the environment
        monkeypatch.setenv(
            'DILEMMA_MM_URL_MAPPING', f'https://other.invalid/=x;'
            f'https://zoo.invalid/dilemma_mm/={server.url}/')
        assert_loaded(get_model(NAME, pretrained=True), zoo)
        assert len(server.requests) == 2
    # a mirror directory: used in place, verified, not copied
    monkeypatch.delenv('DILEMMA_MM_URL_MAPPING')
    os.remove(cache / zoo['file_name'])
    monkeypatch.setenv('DILEMMA_MM_MIRROR', str(zoo['root'] / 'served'))
    with registered(zoo, url):
        assert_loaded(get_model(NAME, pretrained=True), zoo)
        assert zoo['file_name'] not in os.listdir(cache)
        bad = zoo['root'] / 'bad_mirror'
        bad.mkdir()
        (bad / zoo['file_name']).write_bytes(b'corrupt')
        monkeypatch.setenv('DILEMMA_MM_MIRROR', str(bad))
        with pytest.raises(ChecksumError):
            get_model(NAME, pretrained=True)


def test_published_checkpoint_keeps_weights_and_provenance_only(zoo):
    name = zoo['file_name']
    assert HASH_NAME.search(name).group('date') == '20261127'
    assert sha256sum(zoo['published']).startswith(
        HASH_NAME.search(name).group('sha'))
    published = torch.load(zoo['published'], weights_only=True)
    assert set(published) == {'meta', 'state_dict'}
    meta = published['meta']
    assert 'DilemmaMoCoV3' in meta['cfg']
    assert meta['dataset_meta'] == dict(classes=['circle', 'square'])
    for key in ('dilemma_mm_version', 'mmpretrain_version', 'mmengine_version',
                'torch_version'):
        assert meta[key]
    assert not [
        f for f in os.listdir(osp.dirname(zoo['published']))
        if f.endswith('.tmp')
    ]


def test_local_paths_config_files_and_errors(zoo, tmp_path):
    model = init_model(str(zoo['config']), zoo['published'])
    assert_loaded(model, zoo)
    assert type(model).__name__ == 'DilemmaMoCoV3'
    renamed = tmp_path / zoo['file_name'].replace(
        HASH_NAME.search(zoo['file_name']).group('sha'), '00000000')
    renamed.write_bytes(open(zoo['published'], 'rb').read())
    with pytest.raises(ChecksumError):
        init_model(str(zoo['config']), str(renamed))
    with pytest.raises(ValueError, match='Did you mean'):
        get_model('dilemma-mocov3_vit-tny-p8-convstem_1xb128-coslr-8e_shapes')
    with pytest.warns(UserWarning, match='No published weights'):
        get_model(str(zoo['config']), pretrained=True)


def test_loading_never_runs_code(tmp_path):

    class Exploit:

        def __reduce__(self):
            return (os.system, ('touch pwned', ))

    path = tmp_path / 'evil.pth'
    with open(path, 'wb') as f:
        pickle.dump({'state_dict': {}, 'x': Exploit()}, f, protocol=2)
    with pytest.raises(pickle.UnpicklingError):
        load_checkpoint_file(str(path))
    assert not (tmp_path / 'pwned').exists()


def test_index_from_environment_variable(zoo, monkeypatch, tmp_path):
    index = write_index(str(tmp_path), str(zoo['config']), 'none.pth')
    assert NAME not in list_models()
    monkeypatch.setenv('DILEMMA_MM_MODEL_INDEX', index)
    assert NAME in list_models()


def test_mmpretrain_finds_our_models(zoo):
    from mmpretrain.apis.model import ModelHub
    ours = list_models()
    hub = mmpretrain.list_models()
    # mmpretrain's listing is its own index, untouched by us; get finds ours
    mmpretrain_index = set(hub)
    assert not any(name.startswith('dilemma') for name in hub)
    ours_by_hub = ModelHub.get(
        'dilemma-mocov3_vit-small-p16_16xb256-amp-coslr-300e_in1k')
    assert ours_by_hub.config.model.type.endswith('DilemmaMoCoV3')
    # a name mmpretrain already has stays its own; ours is scoped
    shared = 'mocov3_vit-small-p16_16xb256-amp-coslr-300e_in1k'
    if shared in ours:
        config = ModelHub.get(shared).config.filename
        assert osp.join('mmpretrain', '.mim', 'configs') in config
        scoped = ModelHub.get('dilemma_mm::' + shared).config.filename
        assert osp.join('configs', 'mocov3') in scoped
        assert 'mmpretrain' not in scoped
    with registered(zoo, 'none.pth'):
        assert NAME not in mmpretrain.list_models('dilemma-test')
        model = mmpretrain.get_model(NAME)  # built in our scope
        assert type(model).__name__ == 'DilemmaMoCoV3'
        assert type(model.backbone).__name__ == 'DilemmaViT'
    with pytest.raises(ValueError):
        mmpretrain.get_model(NAME)
    assert set(mmpretrain.list_models()) == mmpretrain_index
