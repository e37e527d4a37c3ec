"""Models by name: ``list_models``, ``get_model`` and ``init_model`` over
dilemma_mm's model index, as mmpretrain's do over its own.

The index is ``model-index.yml`` (shipped in ``dilemma_mm/.mim``), which
imports one ``metafile.yml`` per config folder in mmpretrain's format. More
index files can be added, e.g. for a private model zoo or in tests, with
:func:`register_model_index` or the ``DILEMMA_MM_MODEL_INDEX`` environment
variable (paths separated by ``os.pathsep``); config paths in an index are
relative to its directory.

Once ``dilemma_mm`` is imported, ``mmpretrain.get_model`` also builds our
models by name (the ``model_hub`` fix of :mod:`dilemma_mm.compat`);
``mmpretrain.list_models`` stays mmpretrain's own. Where
mmpretrain already uses a name (our copies of its baseline recipes, e.g.
``mocov3_vit-small-p16_16xb256-amp-coslr-300e_in1k``), the plain name stays
mmpretrain's there and ours is ``dilemma_mm::<name>``; :func:`get_model`
here prefers ours.

Weights are fetched by :func:`dilemma_mm.checkpoint.download_checkpoint`
(torch hub cache, resumable, verified against the hash in the file name,
mirrors) and loaded with ``weights_only=True``.
"""
import copy
import difflib
import fnmatch
import os
import os.path as osp
import warnings
from collections import OrderedDict
from os import PathLike
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner.checkpoint import load_state_dict

from dilemma_mm.registry import MODELS
from dilemma_mm.utils.config import load_config
from ..checkpoint import extract_state_dict, load_checkpoint_file

MODEL_INDEX_ENV = 'DILEMMA_MM_MODEL_INDEX'
SCOPE_PREFIX = 'dilemma_mm::'

# index path -> config prefix (None: the index's directory)
_REGISTERED: 'OrderedDict[str, Optional[str]]' = OrderedDict()
_PARSED: Dict[str, dict] = {}


def default_model_index() -> Optional[str]:
    """The package's ``.mim/model-index.yml``, or the source tree's."""
    package = osp.dirname(osp.dirname(osp.abspath(__file__)))
    for path in (osp.join(package, '.mim', 'model-index.yml'),
                 osp.join(osp.dirname(package), 'model-index.yml')):
        if osp.isfile(path):
            return path
    return None


def _index_files() -> List[Tuple[str, Optional[str]]]:
    files = []
    default = default_model_index()
    if default is not None:
        files.append((default, None))
    for path in os.environ.get(MODEL_INDEX_ENV, '').split(os.pathsep):
        if path:
            files.append((osp.abspath(path), None))
    files += list(_REGISTERED.items())
    return files


def _parse_index(path: str, config_prefix: Optional[str]) -> dict:
    """Models of one index file, by lower-case name, configs made
    absolute."""
    key = f'{path}::{config_prefix}'
    if key not in _PARSED:
        from modelindex.load_model_index import load
        if not osp.isfile(path):
            raise FileNotFoundError(f'model index not found: {path}')
        model_index = load(path)
        model_index.build_models_with_collections()
        prefix = config_prefix or osp.dirname(path)
        models = OrderedDict()
        for metainfo in model_index.models:
            if metainfo.config and not osp.isabs(metainfo.config):
                metainfo.config = osp.abspath(
                    osp.join(prefix, metainfo.config))
            models[metainfo.name.lower()] = metainfo
        _PARSED[key] = models
    return _PARSED[key]


def _models() -> Dict[str, object]:
    """All our models by lower-case name, from every index file."""
    models, origin = OrderedDict(), {}
    for path, prefix in _index_files():
        for name, metainfo in _parse_index(path, prefix).items():
            if name in models and origin[name] != path:
                raise ValueError(f'Model name "{name}" is defined in both '
                                 f'{origin[name]} and {path}.')
            models[name], origin[name] = metainfo, path
    return models


def register_model_index(path: Union[str, PathLike],
                         config_prefix: Optional[str] = None) -> List[str]:
    """Add the models of another ``model-index.yml`` (or ``metafile.yml``).

    Args:
        path (str | PathLike): The index file.
        config_prefix (str, optional): Directory the ``Config`` paths are
            relative to. Defaults to the directory of ``path``.

    Returns:
        list[str]: The names of the models it defines.
    """
    path = osp.abspath(os.fspath(path))
    key = f'{path}::{config_prefix}'
    _PARSED.pop(key, None)  # re-read: the file may have changed
    names = list(_parse_index(path, config_prefix))
    _REGISTERED[path] = config_prefix
    try:
        _models()  # name conflicts raise here
    except ValueError:
        del _REGISTERED[path]
        raise
    return names


def unregister_model_index(path: Union[str, PathLike]) -> None:
    """Remove an index added by :func:`register_model_index`."""
    path = osp.abspath(os.fspath(path))
    prefix = _REGISTERED.pop(path, None)
    _PARSED.pop(f'{path}::{prefix}', None)


def list_models(pattern: Optional[str] = None,
                exclude_patterns: Optional[Sequence[str]] = None) -> List[str]:
    """Names of our models, as ``mmpretrain.list_models``.

    Args:
        pattern (str, optional): Wildcard pattern; names that start with a
            match are listed, e.g. ``'dilemma*in1k'``. Defaults to None
            (all).
        exclude_patterns (list[str], optional): Patterns to leave out.

    Returns:
        list[str]: Sorted model names.
    """
    names = set(_models())
    if pattern is not None:
        names = set(fnmatch.filter(names, pattern.lower() + '*'))
    for exclude in exclude_patterns or []:
        names -= set(fnmatch.filter(names, exclude.lower() + '*'))
    return sorted(names)


def get_model_info(name: str):
    """The metafile entry of one of our models (``modelindex`` ``Model``:
    ``name``, ``config`` (absolute path), ``weights``, ``results``,
    ``metadata``...), a copy.

    Args:
        name (str): The model name, optionally as ``dilemma_mm::<name>``.
    """
    key = name.lower()
    key = key[len(SCOPE_PREFIX):] if key.startswith(SCOPE_PREFIX) else key
    models = _models()
    if key not in models:
        close = difflib.get_close_matches(key, list(models), n=5)
        hint = f' Did you mean {close}?' if close else ''
        raise ValueError(f'Failed to find model "{name}" in the dilemma_mm '
                         f'model index.{hint} See dilemma_mm.apis.'
                         'list_models().')
    return copy.deepcopy(models[key])


def _resolve_model(
        model: Union[str, PathLike, Config]) -> Tuple[Config, object, str]:
    """Config, metainfo (or None) and the default weights of ``model``."""
    if isinstance(model, Config):
        cfg = copy.deepcopy(model)
        return cfg, None, cfg.get('load_from')
    if not isinstance(model, (str, PathLike)):
        raise TypeError('model must be a name, a config path or a Config, '
                        f'got {type(model)}')
    model = os.fspath(model)
    if model.endswith('.py'):
        cfg = load_config(model)
        return cfg, None, cfg.get('load_from')
    key = model.lower()
    if key in _models() or key.startswith(SCOPE_PREFIX):
        metainfo = get_model_info(model)
        return load_config(metainfo.config), metainfo, metainfo.weights
    from mmpretrain.apis.model import ModelHub
    try:
        metainfo = ModelHub.get(model)  # one of mmpretrain's models
    except ValueError:
        get_model_info(model)  # raises with our names as hints
        raise
    return metainfo.config, metainfo, metainfo.weights


def get_model(model: Union[str, PathLike, Config],
              pretrained: Union[bool, str, PathLike] = False,
              device: Union[str, torch.device, None] = None,
              url_mapping: Optional[Tuple[str, str]] = None,
              **kwargs):
    """Build a model by name or config, optionally with weights.

    Args:
        model (str | PathLike | Config): A name from :func:`list_models`
            (or one of mmpretrain's), a config path (``.py``, also
            ``dilemma_mm::folder/name.py``) or a ``Config``.
        pretrained (bool | str | PathLike): ``True`` loads the index's
            ``Weights`` (or the config's ``load_from``); a path or URL loads
            that file. Defaults to False.
        device (str | torch.device, optional): Move the model there.
        url_mapping (tuple[str, str], optional): ``(pattern, replacement)``
            redirecting the weights URL to a mirror; see
            :func:`dilemma_mm.checkpoint.map_url` for the environment
            variables that do the same.
        **kwargs: Merged into the config's ``model``, e.g.
            ``backbone=dict(out_type='featmap')``.

    Returns:
        mmengine.model.BaseModel: The model in eval mode, with
        ``_config``, ``_metainfo`` and ``_dataset_meta`` attributes as
        mmpretrain sets them.
    """
    cfg, metainfo, default_weights = _resolve_model(model)
    name = getattr(metainfo, 'name', model)
    if pretrained is True:
        if not default_weights:
            warnings.warn(f'No published weights for {name}: the model is '
                          'randomly initialised.')
        pretrained = default_weights or None
    elif pretrained is False:
        pretrained = None

    if kwargs:
        cfg.merge_from_dict({'model': kwargs})
    cfg.model.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    model_cfg = copy.deepcopy(cfg.model)
    scope = model_cfg.pop('_scope_',
                          None) or cfg.get('default_scope') or 'dilemma_mm'
    with DefaultScope.overwrite_default_scope(scope):
        net = MODELS.build(model_cfg)

    dataset_meta = {}
    if pretrained:
        checkpoint = load_checkpoint_file(
            os.fspath(pretrained), url_mapping=url_mapping)
        load_state_dict(
            net,
            extract_state_dict(checkpoint),
            strict=False,
            logger='current')
        dataset_meta = checkpoint.get('meta', {}).get('dataset_meta') or {}
    if device is not None:
        net.to(device)
    net._dataset_meta = dataset_meta
    net._config = cfg
    net._metainfo = metainfo
    net.eval()
    return net


def init_model(config: Union[str, PathLike, Config],
               checkpoint: Optional[str] = None,
               device: Union[str, torch.device, None] = None,
               **kwargs):
    """Build a model from a config (or name) and load ``checkpoint``.

    Args:
        config (str | PathLike | Config): As ``model`` of
            :func:`get_model`.
        checkpoint (str, optional): Path or URL of the weights. Defaults to
            None (none loaded).
        device (str | torch.device, optional): Move the model there.
        **kwargs: Merged into the config's ``model``.
    """
    return get_model(config, checkpoint or False, device, **kwargs)


def hub_metainfo(model_name: str):
    """What mmpretrain's ``ModelHub.get`` returns, for one of our models:
    its metainfo with the config loaded, built in the config's default
    scope; None for a name that is not ours. The ``model_hub`` fix of
    :mod:`dilemma_mm.compat` asks it for every name mmpretrain's own
    index lacks, so ``mmpretrain.get_model`` builds our models by name.

    Args:
        model_name (str): The model name, optionally as
            ``dilemma_mm::<name>``.
    """
    key = model_name.lower()
    if not (key.startswith(SCOPE_PREFIX) or key in _models()):
        return None
    metainfo = get_model_info(model_name)
    cfg = load_config(metainfo.config)
    cfg.model['_scope_'] = cfg.get('default_scope') or 'dilemma_mm'
    metainfo.config = cfg
    return metainfo
