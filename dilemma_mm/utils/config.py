"""Config loading shared by our tools."""
import os.path as osp
from typing import Optional

from mmengine.config import Config


def drop_parent_scope_marks(node, parent_scopes=('mmpretrain', 'mmengine')):
    """Remove ``_scope_`` marks of our parent scopes, in place.

    mmengine marks every dict inherited from ``mmpretrain::`` configs with
    ``_scope_='mmpretrain'``, which hides our components from the dicts a
    config overrides (``type='DilemmaViT'`` is looked up in mmpretrain's
    registry). Our registries are children of mmpretrain's, so looking such
    a dict up in scope ``dilemma_mm`` finds the same mmpretrain class.
    """
    if isinstance(node, dict):
        if node.get('_scope_') in parent_scopes:
            node.pop('_scope_')
        for value in node.values():
            drop_parent_scope_marks(value, parent_scopes)
    elif isinstance(node, (list, tuple)):
        for value in node:
            drop_parent_scope_marks(value, parent_scopes)
    return node


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Load a config file for our tools, with a clear error when it is
    missing, ``--cfg-options`` merged, and scopes made ours when the config's
    default scope is ``dilemma_mm``."""
    if not osp.isfile(path) and '::' not in path:
        raise FileNotFoundError(f'config file not found: {path}')
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if cfg.get('default_scope') == 'dilemma_mm':
        drop_parent_scope_marks(cfg._cfg_dict)
    return cfg
