"""Config loading and error reporting shared by our tools."""
import ast
import os.path as osp
import re
from contextlib import contextmanager
from typing import Optional, Tuple

from mmengine.config import Config


def _broken_file(path: str) -> Optional[Tuple[str, SyntaxError]]:
    """The file of ``path``'s ``_base_`` chain that does not parse, with its
    error; None if all parse."""
    try:
        with open(path, encoding='utf-8') as f:
            tree = ast.parse(f.read(), filename=path)
    except SyntaxError as e:
        return path, e
    except OSError:
        return None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                getattr(t, 'id', None) == '_base_' for t in node.targets):
            try:
                bases = ast.literal_eval(node.value)
            except ValueError:
                return None
            for base in [bases] if isinstance(bases, str) else bases:
                if '::' not in base:
                    found = _broken_file(
                        osp.join(osp.dirname(path), osp.expanduser(base)))
                    if found:
                        return found
    return None


def load_config(path: str,
                cfg_options: Optional[dict] = None,
                reads: Optional[str] = None) -> Config:
    """Load a config file for our tools, with a clear error when it is
    missing or does not parse, and ``--cfg-options`` checked
    (:func:`check_cfg_options`, ``reads`` passed on) and merged.

    Raises:
        FileNotFoundError: ``path`` is not a file.
        SyntaxError: ``path`` or one of its ``_base_`` files is not valid
            Python; the message and the traceback name the file and line.
        KeyError: A ``--cfg-options`` key is not in the config.
    """
    if not osp.isfile(path) and '::' not in path:
        raise FileNotFoundError(f'config file not found: {path}')
    try:
        cfg = Config.fromfile(path)
    except SyntaxError as e:
        # mmengine parses the source without its file name ("<unknown>").
        broken, error = _broken_file(path) or (path, e)
        where = '' if broken == path else f' (a _base_ of {path})'
        raise SyntaxError(
            f'{error.msg} in the config {broken}{where}',
            (broken, error.lineno, error.offset, error.text)) from None
    if cfg_options:
        cfg.merge_from_dict(check_cfg_options(cfg, cfg_options, reads))
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


def _nearest(word: str, choices) -> str:
    import difflib
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.4)
    return f'; did you mean {close[0]!r}?' if close else ''


def _outside(key: str, reads: str) -> Optional[str]:
    """Why ``key`` does nothing in a tool that reads only ``reads`` of
    the config, with ``reads``' own key if ``key`` looks like a typo of it;
    None if ``key`` is inside ``reads``."""
    import difflib
    parts, wanted = key.split('.'), reads.split('.')
    if parts[:len(wanted)] == wanted:
        return None
    hint = ''
    for i, (part, want) in enumerate(zip(parts, wanted)):
        if part != want:  # the first component that leaves `reads`
            fixed = wanted[:i + 1] + parts[i + 1:]
            if (fixed[:len(wanted)] == wanted
                    and difflib.get_close_matches(part, [want], cutoff=0.6)):
                hint = f"; did you mean {'.'.join(fixed)!r}?"
            break
    return (f'this tool reads only {reads} of the config, so it would do '
            f'nothing{hint}')


def check_cfg_options(cfg: Config,
                      options: dict,
                      reads: Optional[str] = None) -> dict:
    """``--cfg-options`` whose first key component exists in ``cfg``, and
    that lie inside ``reads`` when the tool reads only that part.

    A typo (``train_cfgg.max_epochs=5``) would otherwise add an unused key
    and be ignored without a word. To add a new top-level key on purpose,
    write it with a leading ``+`` (``+my_key.x=1``); the ``+`` is dropped.

    Args:
        cfg (Config): The loaded config.
        options (dict): The parsed ``--cfg-options``.
        reads (str, optional): The only part of the config the tool reads,
            e.g. ``'model.backbone'``: a key outside it (such as the typo
            ``model.backbon.arch.num_layers``) would be ignored as well, so
            it is refused too. Defaults to None, the whole config.

    Returns:
        dict: ``options`` without the ``+`` marks, ready to merge.

    Raises:
        KeyError: A first component is not in the config, or a key lies
            outside ``reads``; the message names the nearest existing key.
    """
    checked = {}
    for key, value in options.items():
        why = reads and _outside(key.lstrip('+'), reads)
        if why:
            raise KeyError(f'--cfg-options {key}: {why}')
        if key.startswith('+'):
            checked[key[1:]] = value
            continue
        first = key.split('.', 1)[0]
        if first not in cfg:
            raise KeyError(
                f'--cfg-options {key}: the config has no key {first!r}'
                f'{_nearest(first, cfg.keys())} (write +{key} to add a new '
                'key on purpose)')
        checked[key] = value
    return checked


def check_hook_args(cfg: Config) -> None:
    """Check the arguments of every hook in ``default_hooks`` and
    ``custom_hooks`` against its constructor, before the runner exists.

    ``CheckpointHook`` takes ``**kwargs`` and hands them to
    ``Runner.save_checkpoint`` only when it saves, so a typo such as
    ``intervall=1`` surfaced after a whole epoch; other hooks with
    ``**kwargs`` are left to their own checks.

    Raises:
        TypeError: A hook gets an argument it does not take; the message
            names the hook, the argument and the nearest one it takes.
    """
    import inspect

    from mmengine.hooks import CheckpointHook
    from mmengine.registry import HOOKS, DefaultScope

    hooks = [(f'default_hooks.{key}', hook)
             for key, hook in (cfg.get('default_hooks') or {}).items()]
    hooks += [(f'custom_hooks[{i}]', hook)
              for i, hook in enumerate(cfg.get('custom_hooks') or [])]
    scope = cfg.get('default_scope') or 'mmengine'
    for name, hook in hooks:
        if not isinstance(hook, dict) or not isinstance(hook.get('type'), str):
            continue
        with DefaultScope.overwrite_default_scope(scope):
            hook_cls = HOOKS.get(hook['type'])
        if hook_cls is None:
            continue  # the runner's build reports unknown types
        params = inspect.signature(hook_cls).parameters
        takes_any = any(p.kind is p.VAR_KEYWORD for p in params.values())
        if takes_any and not issubclass(hook_cls, CheckpointHook):
            continue
        named = [n for n, p in params.items() if p.kind is not p.VAR_KEYWORD]
        for arg in hook:
            if arg not in ('type', '_scope_') and arg not in named:
                raise TypeError(
                    f'{name}: {hook["type"]} takes no argument {arg!r}'
                    f'{_nearest(arg, named)}')


# Hooks every training run gets from tools/train.py, unless the config lists
# them already (then with its own arguments).
TRAIN_CHECK_HOOKS = ('BadImageHook', )


def add_train_check_hooks(cfg: Config) -> Config:
    """Append the data checks of :data:`TRAIN_CHECK_HOOKS` to
    ``cfg.custom_hooks``: unreadable images are named, counted and bounded
    (:class:`~dilemma_mm.engine.hooks.BadImageHook`)."""
    hooks = list(cfg.get('custom_hooks') or [])
    present = {str(h.get('type')).split('.')[-1] for h in hooks}
    for name in TRAIN_CHECK_HOOKS:
        if name not in present:
            hooks.append(dict(type=f'dilemma_mm.{name}'))
    cfg.custom_hooks = hooks
    return cfg
