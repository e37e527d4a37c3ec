"""Registries work both ways: our scope reaches mmpretrain's and mmengine's
components, and another OpenMMLab scope reaches ours through
custom_imports."""
import glob
import os.path as osp

import pytest
import torch
from conftest import REPO_ROOT
from mmengine.config import Config
from mmengine.registry import DefaultScope, init_default_scope

import dilemma_mm
from dilemma_mm.registry import DATASETS, HOOKS, MODELS, TRANSFORMS

TINY_VIT = dict(
    arch=dict(
        embed_dims=32, num_layers=1, num_heads=2, feedforward_channels=64),
    img_size=32,
    patch_size=8)

OUR_RECIPE = 'dilemma-mocov3_vit-tiny-p8-convstem_1xb128-coslr-8e_shapes.py'
MMPRETRAIN_MOCOV3 = \
    'mmpretrain::mocov3/mocov3_vit-small-p16_16xb256-amp-coslr-300e_in1k.py'


def test_our_scope_resolves_mmpretrain_and_mmengine_components():
    init_default_scope('dilemma_mm')
    assert MODELS.scope == 'dilemma_mm'
    assert MODELS.get('DilemmaViT').__module__.startswith('dilemma_mm')
    assert MODELS.get('MoCoV3').__module__.startswith('mmpretrain')
    assert MODELS.get('MoCoV3Head') is not None
    assert TRANSFORMS.get('MultiView').__module__.startswith('mmpretrain')
    assert DATASETS.get('ImageNet') is not None
    assert HOOKS.get('CheckpointHook').__module__.startswith('mmengine')
    vit = MODELS.build(dict(type='DilemmaViT', **TINY_VIT))
    assert type(vit).__name__ == 'DilemmaViT'


def test_downstream_mmpretrain_scope_reaches_ours_via_custom_imports():
    cfg = Config(
        dict(
            default_scope='mmpretrain',
            custom_imports=dict(imports=['dilemma_mm']),
            model=dict(
                type='ImageClassifier',
                backbone=dict(type='dilemma_mm.DilemmaViT', **TINY_VIT),
                neck=None,
                head=dict(type='LinearClsHead', num_classes=3,
                          in_channels=32))))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS
        model = MMPRETRAIN_MODELS.build(cfg.model)
    assert type(model.backbone).__name__ == 'DilemmaViT'
    logits = model(torch.rand(2, 3, 32, 32), mode='tensor')
    assert logits.shape == (2, 3)


def test_config_inheriting_mmpretrain_mocov3_with_our_backbone():
    # A downstream config in mmpretrain's scope, written the OpenMMLab way.
    cfg = Config.fromstring(
        f"""
_base_ = '{MMPRETRAIN_MOCOV3}'
custom_imports = dict(imports=['dilemma_mm'])
model = dict(backbone=dict(type='dilemma_mm.DilemmaViT', _delete_=True,
                           arch='small', img_size=224, patch_size=16))
""", '.py')
    assert cfg.default_scope == 'mmpretrain'
    assert cfg.train_dataloader.batch_size == 256
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS
        model = MMPRETRAIN_MODELS.build(cfg.model)
    assert type(model).__name__ == 'MoCoV3'
    assert type(model.backbone).__name__ == 'DilemmaViT'


def test_downstream_config_inheriting_ours_builds_in_our_scope(tmp_path):
    # A project in mmpretrain's scope inherits one of our recipes: mmengine
    # marks its dicts with our scope, so the plain names inside resolve.
    path = tmp_path / 'downstream.py'
    path.write_text(f"""
_base_ = 'dilemma_mm::dilemma/{OUR_RECIPE}'
default_scope = 'mmpretrain'
custom_imports = dict(imports=['dilemma_mm'])
""")
    cfg = Config.fromfile(str(path))
    assert cfg.model.type == 'DilemmaMoCoV3'
    assert cfg.model._scope_ == 'dilemma_mm'
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS
        from mmpretrain.registry import TRANSFORMS as MMPRETRAIN_TRANSFORMS
        model = MMPRETRAIN_MODELS.build(cfg.model)
        loader_cfg = cfg.train_dataloader.dataset
        pipeline = [
            MMPRETRAIN_TRANSFORMS.build(dict(t, _scope_=loader_cfg._scope_))
            for t in loader_cfg.pipeline
        ]
    assert type(model.backbone).__name__ == 'DilemmaViT'
    assert type(model.backbone.patch_embed.projection).__name__ == 'ConvStem'
    assert type(model.misplacement_head).__name__ == 'MisplacementHead'
    assert [type(t).__name__ for t in pipeline] == [
        'LoadImageFromFileSafe', 'MultiView', 'TokenDropTransform',
        'PackInputs'
    ]


def test_downstream_training_of_our_recipe_restates_collate_fn(tmp_path):
    # mmengine 0.10 hands the _scope_ mark of an inherited collate_fn to the
    # function; restating it (README: using the components) drops the mark.
    from mmengine.runner import Runner
    path = tmp_path / 'downstream.py'
    path.write_text(f"""
_base_ = 'dilemma_mm::dilemma/{OUR_RECIPE}'
default_scope = 'mmpretrain'
train_dataloader = dict(
    collate_fn=dict(_delete_=True, type='default_collate'))
""")
    collate_cfg = Config.fromfile(str(path)).train_dataloader.collate_fn
    assert collate_cfg.to_dict() == dict(type='default_collate')
    loader = Runner.build_dataloader(
        dict(
            batch_size=2,
            dataset=[dict(inputs=torch.ones(3))] * 2,
            sampler=dict(type='DefaultSampler', shuffle=False),
            collate_fn=collate_cfg))
    assert next(iter(loader))['inputs'].shape == (2, 3)


def test_our_configs_inherit_no_other_package():
    # The one scope mechanism: our configs are in scope dilemma_mm with plain
    # names, so no dict of theirs may carry another scope's mark.
    for path in glob.glob(osp.join(REPO_ROOT, 'configs', '*', '*.py')):
        if '/benchmarks/' in path or '/_base_/' in path:
            continue  # configs/benchmarks is flattened separately
        text = open(path).read()
        assert "'mmpretrain::" not in text, path
        assert "type='dilemma_mm." not in text, path
        cfg = Config.fromfile(path)
        assert cfg.default_scope == 'dilemma_mm', path
        assert '_scope_' not in cfg.pretty_text, path


def test_dilemma_mm_base_configs_resolve_from_anywhere(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nowhere near the repository
    path = tmp_path / 'downstream.py'
    path.write_text("_base_ = 'dilemma_mm::_base_/default_runtime.py'\n")
    cfg = Config.fromfile(str(path))
    assert cfg.default_scope == 'dilemma_mm'
    path.write_text("_base_ = 'dilemma_mm::mocov3/"
                    "mocov3_vit-tiny-p8-convstem_1xb128-coslr-6e_shapes.py'\n")
    cfg = Config.fromfile(str(path))
    assert cfg.model.type == 'MoCoV3' and cfg.model.backbone.patch_size == 8
    assert osp.samefile(
        osp.join(osp.dirname(dilemma_mm.__file__), '.mim', 'configs'),
        osp.join(REPO_ROOT, 'configs'))


def test_unknown_scope_type_is_a_clear_error():
    init_default_scope('dilemma_mm')
    with pytest.raises(KeyError, match='NotAModel is not in the'):
        MODELS.build(dict(type='NotAModel'))
