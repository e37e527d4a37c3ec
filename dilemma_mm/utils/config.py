"""Config loading and error reporting shared by our tools."""
import os.path as osp
import re
from contextlib import contextmanager
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


def _registered_names(registry) -> set:
    names = set()
    while registry is not None:
        registry.import_from_location()
        names.update(registry.module_dict)
        registry = registry.parent
    return names


def suggest_registered(message: str) -> Optional[str]:
    """For mmengine's "X is not in the scope::name registry" message, the
    registered names closest to X, as a hint; None for other messages."""
    import difflib

    from dilemma_mm import registry as our_registries
    match = re.search(r'(\S+) is not in the (\w+)::([\w ]+) registry', message)
    if match is None:
        return None
    wanted, registry_name = match.group(1), match.group(3)
    for candidate in vars(our_registries).values():
        if getattr(candidate, 'name', None) == registry_name:
            names = _registered_names(candidate)
            close = difflib.get_close_matches(wanted, names, n=5, cutoff=0.5)
            return (f'did you mean one of {close}?'
                    if close else f'{len(names)} names are registered')
    return None


@contextmanager
def explain_build_errors():
    """Re-raise an unknown-type KeyError with the closest registered names."""
    try:
        yield
    except KeyError as error:
        message = str(error.args[0]) if error.args else ''
        hint = suggest_registered(message)
        if hint is None:
            raise
        raise KeyError(f'{message} ({hint})') from None
