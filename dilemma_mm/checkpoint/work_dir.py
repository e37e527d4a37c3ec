"""A work directory's checkpoints at the start of a run: never overwrite a
previous run by accident, resume from the newest checkpoint that loads, and
clear what a run killed while saving left behind."""
import glob
import logging
import os
import os.path as osp
import re
import time
from typing import List, Optional

from mmengine.logging import print_log

from .loading import check_checkpoint_file, read_checkpoint_meta

# epoch_12.pth, iter_3000.pth (CheckpointHook), budget_iter_40.pth
# (TimeBudgetHook).
CHECKPOINT_NAME = re.compile(r'^(epoch|iter|budget_iter)_\d+\.pth$')
# .epoch_2.pth.<random>.tmp: a save by write_bytes_atomic that never ended.
ORPHAN_PATTERN = '.*.pth.*.tmp'
# mmengine's experiment name is '<config name>_<start time>'.
RUN_TIMESTAMP = re.compile(r'_\d{8}_\d{6}$')


class WorkDirNotEmptyError(RuntimeError):
    """A fresh run would overwrite the checkpoints of an earlier one."""


class OtherRunError(WorkDirNotEmptyError):
    """The work dir's checkpoints belong to a run of another config."""


def list_checkpoints(work_dir: str) -> List[str]:
    """The checkpoints training wrote in ``work_dir`` (``epoch_N.pth``,
    ``iter_N.pth``, ``budget_iter_N.pth``), newest first."""
    names = os.listdir(work_dir) if osp.isdir(work_dir) else []
    found = [
        osp.join(work_dir, name) for name in names if
        CHECKPOINT_NAME.match(name) and osp.isfile(osp.join(work_dir, name))
    ]
    return sorted(found, key=osp.getmtime, reverse=True)


def remove_orphaned_temporaries(work_dir: str) -> List[str]:
    """Delete the temporary files of saves that were killed midway (see
    :func:`dilemma_mm.checkpoint.atomic.write_bytes_atomic`); returns
    them."""
    orphans = sorted(
        glob.glob(osp.join(glob.escape(work_dir), ORPHAN_PATTERN)))
    for path in orphans:
        os.remove(path)
        print_log(
            f'Removed {path}, left by a save that was interrupted.',
            logger='current')
    return orphans


def config_run_name(cfg) -> str:
    """The name a run of ``cfg`` records as its checkpoints'
    ``meta.experiment_name`` (without mmengine's timestamp): the config's
    ``experiment_name``, else its file name without ``.py``."""
    if cfg.get('experiment_name'):
        return cfg.experiment_name
    return osp.splitext(osp.basename(cfg.filename or ''))[0]


def checkpoint_run_name(path: str) -> Optional[str]:
    """The config name in a checkpoint's meta; None if it has none or does
    not load."""
    try:
        name = read_checkpoint_meta(path).get('experiment_name')
    except (OSError, RuntimeError, ValueError):  # not a checkpoint
        return None
    return RUN_TIMESTAMP.sub('', name) if isinstance(name, str) else None


def earlier_run_name(work_dir: str, run_name: str) -> Optional[str]:
    """The config name of the run whose checkpoints ``work_dir`` holds: from
    the newest checkpoint's meta, else from the config the runner dumped
    into ``work_dir`` (``<name>.py``); None when neither tells."""
    for path in list_checkpoints(work_dir):
        name = checkpoint_run_name(path)
        if name is not None:
            return name
    dumped = sorted(
        osp.splitext(n)[0] for n in os.listdir(work_dir) if n.endswith('.py'))
    if dumped and run_name not in dumped:
        return ', '.join(dumped)
    return None


def _other_run(work_dir: str, other: str, run_name: str,
               found: List[str]) -> OtherRunError:
    names = ', '.join(osp.basename(p) for p in found[:5])
    return OtherRunError(
        f'{work_dir} holds checkpoints of a run of another config, {other} '
        f'({names}{", ..." if len(found) > 5 else ""}), not of {run_name}. '
        'Starting or resuming here would mix the two runs: pass --work-dir '
        'with a new directory (--force starts fresh here and moves the old '
        'checkpoints into a previous_<time>/ subdirectory).')


def refuse_to_overwrite(work_dir: str,
                        force: bool = False,
                        run_name: Optional[str] = None) -> None:
    """Stop a fresh run in a work dir that holds checkpoints.

    Args:
        work_dir (str): The run's work directory.
        force (bool): Start fresh anyway. The earlier checkpoints and
            ``last_checkpoint`` are moved into ``work_dir/previous_<time>/``,
            not deleted, so no earlier file is overwritten or mixed with the
            new run's. Defaults to False.
        run_name (str, optional): The new run's config name
            (:func:`config_run_name`); when the checkpoints are another
            config's, the error names both. Defaults to None.

    Raises:
        WorkDirNotEmptyError: ``work_dir`` holds checkpoints and ``force`` is
            False; the message says how to resume or start elsewhere.
        OtherRunError: The same, when they are another config's: the message
            says so and names it.
    """
    found = list_checkpoints(work_dir)
    if not found:
        return
    if not force:
        other = run_name and earlier_run_name(work_dir, run_name)
        if other and other != run_name:
            raise _other_run(work_dir, other, run_name, found)
        names = ', '.join(osp.basename(p) for p in found[:5])
        raise WorkDirNotEmptyError(
            f'{work_dir} already holds checkpoints of an earlier run '
            f'({names}{", ..." if len(found) > 5 else ""}). Add --resume to '
            'continue it, or pass --work-dir with a new directory to start '
            'fresh (--force starts fresh here and moves the old '
            'checkpoints into a previous_<time>/ subdirectory).')
    backup = osp.join(work_dir, time.strftime('previous_%Y%m%d_%H%M%S'))
    os.makedirs(backup, exist_ok=True)
    pointer = osp.join(work_dir, 'last_checkpoint')
    for path in found + ([pointer] if osp.isfile(pointer) else []):
        os.replace(path, osp.join(backup, osp.basename(path)))
    print_log(
        f'--force: moved {len(found)} earlier checkpoints into '
        f'{backup}; starting fresh.',
        logger='current')


def refuse_other_run(checkpoint: str, run_name: str) -> None:
    """Stop ``--resume`` from continuing a checkpoint that another config's
    run wrote into the work dir (:class:`OtherRunError`)."""
    other = checkpoint_run_name(checkpoint)
    if other is not None and other != run_name:
        work_dir = osp.dirname(checkpoint)
        raise _other_run(work_dir, other, run_name, list_checkpoints(work_dir))


def _loads(path: str) -> bool:
    try:
        check_checkpoint_file(path)
    except (OSError, RuntimeError, ValueError) as e:  # not loadable
        print_log(
            f'Cannot resume from {path}: {e}',
            logger='current',
            level=logging.WARNING)
        return False
    return True


def find_resume_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint ``--resume`` without a path continues from.

    ``work_dir/last_checkpoint`` names it. When that file is missing or
    empty, or names a file that is gone, the newest ``epoch_N``/``iter_N``
    checkpoint in ``work_dir`` that loads is used instead, and the log says
    so. None when there is no checkpoint at all.
    """
    pointer = osp.join(work_dir, 'last_checkpoint')
    target = ''
    if osp.isfile(pointer):
        with open(pointer) as f:
            target = f.read().strip()
        if target and osp.isfile(target):
            return target
    problem = (f'{pointer} names {target}, which does not exist'
               if target else f'{pointer} is empty'
               if osp.isfile(pointer) else f'{pointer} does not exist')
    for path in list_checkpoints(work_dir):
        if _loads(path):
            print_log(
                f'{problem}; resuming from {path}, the newest '
                'checkpoint in the work dir that loads.',
                logger='current',
                level=logging.WARNING)
            return path
    print_log(
        f'{problem} and no checkpoint in it loads: starting fresh.',
        logger='current',
        level=logging.WARNING)
    return None
