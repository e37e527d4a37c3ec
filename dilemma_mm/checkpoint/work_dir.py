"""The checkpoints a training run leaves in its work directory: which they
are, which one is the newest that loads, and what a run killed while saving
left behind."""
import glob
import logging
import os
import os.path as osp
import re
import time
from typing import List, Optional

from mmengine.logging import print_log

from .loading import check_checkpoint_file

# epoch_12.pth, iter_3000.pth (CheckpointHook), budget_iter_40.pth
# (TimeBudgetHook).
CHECKPOINT_NAME = re.compile(r'^(epoch|iter|budget_iter)_\d+\.pth$')
# .epoch_2.pth.<random>.tmp: a save by write_bytes_atomic that never ended.
ORPHAN_PATTERN = '.*.pth.*.tmp'
POINTER = 'last_checkpoint'


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


def move_checkpoints_aside(work_dir: str) -> str:
    """Move the checkpoints and ``last_checkpoint`` of ``work_dir`` into a
    new ``work_dir/previous_<time>/``, so that a fresh run neither
    overwrites nor mixes with them; returns that directory."""
    found = list_checkpoints(work_dir)
    backup = osp.join(work_dir, time.strftime('previous_%Y%m%d_%H%M%S'))
    os.makedirs(backup, exist_ok=True)
    pointer = osp.join(work_dir, POINTER)
    for path in found + ([pointer] if osp.isfile(pointer) else []):
        os.replace(path, osp.join(backup, osp.basename(path)))
    return backup


def _problem(path: str) -> Optional[str]:
    """Why ``path`` is no usable checkpoint, or None if it loads."""
    try:
        check_checkpoint_file(path)
    except (OSError, RuntimeError, ValueError) as e:
        return str(e).rstrip('.')
    return None


def latest_checkpoint(work_dir: str, action: str = 'using') -> Optional[str]:
    """The newest checkpoint of the run in ``work_dir`` that loads.

    ``work_dir/last_checkpoint`` names it. When that file is missing or
    empty, or names a file that is gone or does not load (truncated by a
    kill, say), the newest ``epoch_N``/``iter_N`` checkpoint that loads is
    taken instead, and a warning says so.

    Args:
        work_dir (str): The run's work directory.
        action (str): What is done with the checkpoint, for the warning
            (``'resuming from'``). Defaults to ``'using'``.

    Returns:
        str | None: The checkpoint, or None when none loads.
    """
    pointer = osp.join(work_dir, POINTER)
    target = ''
    if osp.isfile(pointer):
        with open(pointer) as f:
            target = f.read().strip()
    if not osp.isfile(pointer):
        problem = f'{pointer} does not exist'
    elif not target:
        problem = f'{pointer} is empty'
    elif not osp.exists(target):
        problem = f'{pointer} names {target}, which does not exist'
    else:
        problem = _problem(target)
        if problem is None:
            return target
        problem = f'{pointer} names a checkpoint that does not load: {problem}'
    for path in list_checkpoints(work_dir):
        if osp.abspath(path) == osp.abspath(target):
            continue
        skipped = _problem(path)
        if skipped is None:
            print_log(
                f'{problem}; {action} {path}, the newest checkpoint in the '
                'work dir that loads.',
                logger='current',
                level=logging.WARNING)
            return path
        print_log(
            f'Skipping {skipped}.', logger='current', level=logging.WARNING)
    if target or list_checkpoints(work_dir):
        print_log(
            f'{problem}, and no checkpoint in {work_dir} loads.',
            logger='current',
            level=logging.WARNING)
    return None


def find_resume_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint ``--resume`` without a path continues from: the
    :func:`latest_checkpoint` of ``work_dir``; None starts fresh."""
    checkpoint = latest_checkpoint(work_dir, 'resuming from')
    if checkpoint is None:
        print_log(
            f'--resume: no checkpoint to resume in {work_dir}; starting '
            'fresh.',
            logger='current',
            level=logging.WARNING)
    return checkpoint
