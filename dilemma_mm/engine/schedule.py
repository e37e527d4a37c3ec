"""Fit a config's training schedule to another number of epochs.

One implementation for every tool that changes how long a run trains:
``tools/train.py --epochs``, the demo, the equal-time script, the commands
``benchmark_throughput.py --equal-time-epochs`` prints, and
:class:`~dilemma_mm.engine.runners.BudgetEpochBasedTrainLoop` when it fits
the schedule to the epochs a time budget allows.

The rule: the warm-up (schedulers that end before the schedule does) keeps
its length, up to half the new run, and the rest of the schedule is
stretched or shrunk to end at the new last epoch. A cosine whose ``T_max``
spans its scheduler spans the new one. Schedulers that run to the end (a
weight-decay cosine from epoch 0) end at the new end. Epoch-valued
arguments of the hooks in :data:`EPOCH_HOOK_ARGS` are warm-ups too.
"""
import copy
import math
from typing import Callable, List, Optional, Sequence

from mmengine.logging import print_log

# Hooks whose arguments count epochs: warm-ups, kept like the learning
# rate's (at most half the run). Add a hook here when a config uses one.
EPOCH_HOOK_ARGS = {'DINOTeacherTempWarmupHook': ('warmup_epochs', )}


def _by_epoch(scheduler: dict) -> bool:
    return scheduler.get('by_epoch', True)


def _finite_end(scheduler: dict) -> Optional[float]:
    end = scheduler.get('end')
    return None if end is None or end >= 1e9 else end


def schedule_length(schedulers: Sequence[dict],
                    max_epochs: Optional[int] = None) -> Optional[float]:
    """The last epoch of the epoch-based schedulers (their largest ``end``),
    else ``max_epochs``."""
    ends = [
        _finite_end(s) for s in schedulers
        if _by_epoch(s) and _finite_end(s) is not None
    ]
    return max(ends) if ends else max_epochs


def _number(value: float, integer: bool):
    """``value`` as an int where it is one (or must be), else a float."""
    if integer:
        return int(round(value))
    return int(value) if float(value).is_integer() else round(value, 6)


def _time_map(schedulers: Sequence[dict], old: float,
              new: int) -> Callable[[float], float]:
    """Old epoch -> new epoch: the warm-up [0, w] kept (or shrunk to half
    the run), [w, old] stretched onto [w', new]."""
    warmup = max([
        _finite_end(s) for s in schedulers
        if _by_epoch(s) and _finite_end(s) is not None and _finite_end(s) < old
    ],
                 default=0)
    # Schedulers stepped per epoch need whole-epoch boundaries.
    fractional = all(
        s.get('convert_to_iter_based', False) for s in schedulers
        if _by_epoch(s))
    kept = min(warmup, new / 2 if fractional else new // 2)

    def to_new(epoch: float) -> float:
        if epoch <= warmup:
            return epoch * kept / warmup if warmup else 0.
        return kept + (epoch - warmup) * (new - kept) / (old - warmup)

    return to_new


def _fit_one(scheduler: dict, to_new: Callable[[float], float],
             epochs: int) -> Optional[dict]:
    """One scheduler config through ``to_new``; None when it has no room
    left (a warm-up stepped per epoch in a one-epoch run)."""
    scheduler = copy.deepcopy(dict(scheduler))
    if not _by_epoch(scheduler):
        return scheduler  # counted in iterations: no epochs to map
    integer = not scheduler.get('convert_to_iter_based', False)
    begin = scheduler.get('begin', 0)
    end = _finite_end(scheduler)
    new_begin = to_new(begin)
    new_end = epochs if end is None else to_new(end)
    if _number(new_end, integer) <= _number(new_begin, integer):
        return None
    if 'begin' in scheduler:
        scheduler['begin'] = _number(new_begin, integer)
    if end is not None:
        scheduler['end'] = _number(new_end, integer)
    t_max = scheduler.get('T_max')
    if t_max is not None and end is not None:
        if math.isclose(t_max, end - begin):
            t_max = new_end - new_begin
        else:  # a cosine over another span: scaled like its own span
            t_max *= (new_end - new_begin) / (end - begin)
        scheduler['T_max'] = _number(t_max, integer)
    if scheduler.get('milestones') is not None:  # counted from begin
        scheduler['milestones'] = [
            _number(to_new(begin + m) - new_begin, integer)
            for m in scheduler['milestones']
        ]
    return scheduler


def fit_param_schedulers(
        schedulers: Sequence[dict],
        epochs: int,
        old_epochs: Optional[float] = None) -> List[Optional[dict]]:
    """Scheduler configs fitted to ``epochs`` epochs (module docstring).

    Args:
        schedulers (Sequence[dict]): ``param_scheduler`` configs.
        epochs (int): Epochs of the new run, >= 1.
        old_epochs (float, optional): Length of the schedule as written.
            Defaults to :func:`schedule_length`.

    Returns:
        list[dict | None]: The new config of each scheduler, in order;
        None for a warm-up stepped per epoch that a one-epoch run leaves
        no whole epoch for. Schedulers counted in iterations are returned
        as they are.
    """
    old = old_epochs or schedule_length(schedulers)
    if not old:
        return [copy.deepcopy(dict(s)) for s in schedulers]
    to_new = _time_map(schedulers, old, epochs)
    return [_fit_one(s, to_new, epochs) for s in schedulers]


def fit_hook_args(hook, epochs: int) -> List[str]:
    """Fit the epoch-valued arguments (:data:`EPOCH_HOOK_ARGS`) of ``hook``,
    a config dict or a built hook, to ``epochs`` epochs; returns what
    changed."""
    is_cfg = isinstance(hook, dict)
    name = str(hook.get('type') if is_cfg else type(hook).__name__)
    changes = []
    for arg in EPOCH_HOOK_ARGS.get(name.split('.')[-1], ()):
        value = hook.get(arg) if is_cfg else getattr(hook, arg, None)
        if value is None or value <= epochs // 2:
            continue
        if is_cfg:
            hook[arg] = epochs // 2
        else:
            setattr(hook, arg, epochs // 2)
        changes.append(f'{name}.{arg} {value} -> {epochs // 2}')
    return changes


def _as_list(schedulers) -> list:
    if schedulers is None:
        return []
    return [schedulers] if isinstance(schedulers, dict) else list(schedulers)


def _describe(old: Sequence[dict], new: Sequence[Optional[dict]]) -> List[str]:
    changes = []
    for i, (before, after) in enumerate(zip(old, new)):
        name = f'param_scheduler.{i} ({before["type"]})'
        if after is None:
            changes.append(f'{name} dropped: no whole epoch left for it')
        elif after != before:
            diff = ', '.join(f'{k} {before[k]} -> {after[k]}' for k in after
                             if k in before and before[k] != after[k])
            changes.append(f'{name} {diff}')
    return changes


def fit_schedule(cfg, epochs: int) -> List[str]:
    """Make ``cfg`` train ``epochs`` epochs with its schedule fitted to
    them (module docstring), in place, and log what changed.

    Args:
        cfg (Config): A config with an epoch-based ``train_cfg``.
        epochs (int): Epochs to train, >= 1.

    Returns:
        list[str]: One line per change.

    Raises:
        ValueError: ``epochs`` < 1, or the config trains by iterations.
    """
    if epochs < 1:
        raise ValueError(f'epochs must be at least 1, got {epochs}')
    train_cfg = cfg.get('train_cfg') or {}
    if train_cfg.get('max_epochs') is None:
        raise ValueError(f'{cfg.filename or "the config"} trains by '
                         'iterations (no train_cfg.max_epochs): give '
                         'train_cfg.max_iters and the schedulers\' ends '
                         'with --cfg-options instead')
    old_max = train_cfg['max_epochs']
    schedulers = _as_list(cfg.get('param_scheduler'))
    fitted = fit_param_schedulers(schedulers, epochs,
                                  schedule_length(schedulers, old_max))
    changes = [f'train_cfg.max_epochs {old_max} -> {epochs}']
    changes += _describe(schedulers, fitted)
    if schedulers:
        cfg.param_scheduler = [s for s in fitted if s is not None]
    cfg.train_cfg.max_epochs = epochs
    for hook in cfg.get('custom_hooks') or []:
        changes += fit_hook_args(hook, epochs)
    print_log(
        f'Schedule fitted to {epochs} epoch{"s" * (epochs != 1)}: ' +
        '; '.join(changes),
        logger='current')
    return changes


def schedule_mismatch(cfg) -> Optional[str]:
    """A sentence when ``train_cfg.max_epochs`` and the epoch-based
    schedulers' ends disagree (a cosine stopped early, or a run that goes
    on at the final learning rate), else None."""
    max_epochs = (cfg.get('train_cfg') or {}).get('max_epochs')
    schedulers = _as_list(cfg.get('param_scheduler'))
    if max_epochs is None or not schedulers:
        return None
    problems = []
    for i, s in enumerate(schedulers):
        end = _finite_end(s)
        if not _by_epoch(s) or end is None:
            continue
        begin = s.get('begin', 0)
        if end > max_epochs:
            problems.append(f'param_scheduler.{i} ({s["type"]}) ends at '
                            f'epoch {end}, after the run: it stops early')
        t_max = s.get('T_max')
        if t_max is not None and not math.isclose(t_max, end - begin):
            problems.append(f'param_scheduler.{i} ({s["type"]}) has T_max '
                            f'{t_max} over epochs {begin}-{end}')
    last = schedule_length(schedulers)
    if last is not None and last < max_epochs:
        problems.append(f'the schedulers end at epoch {last}, the last '
                        f'{max_epochs - last} epochs keep the final values')
    if not problems:
        return None
    return (f'train_cfg.max_epochs is {max_epochs}, but ' +
            '; '.join(problems) + f'. `tools/train.py --epochs {max_epochs}`'
            ' fits the schedule to the run instead.')


def check_schedule(cfg) -> Optional[str]:
    """Log :func:`schedule_mismatch` as a warning; returns it."""
    import logging
    message = schedule_mismatch(cfg)
    if message:
        print_log(message, logger='current', level=logging.WARNING)
    return message
