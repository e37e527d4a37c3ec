"""Checks before a training run starts, so that it fails in its first
seconds with a sentence instead of training or resuming the wrong thing:
the work dir (one run at a time, no overwritten or mixed runs, the
checkpoint to resume), then the built runner (batch sizes, ``Pretrained``
weights, the resumed model). ``tools/train.py`` calls :func:`preflight`
once::

    with preflight(cfg, args.resume, args.force, args.allow_partial) as check:
        runner = Runner.from_cfg(cfg)
        check(runner)
        runner.train()
"""
import contextlib
import os
import os.path as osp
import re
from typing import Callable, Dict, Iterator, List, Optional, Union

import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from torch.nn.modules.batchnorm import _BatchNorm

from dilemma_mm.checkpoint import (CheckpointFileError, check_checkpoint_file,
                                   check_model_fits, load_backbone_checkpoint,
                                   read_checkpoint_meta)
from dilemma_mm.checkpoint.work_dir import (find_resume_checkpoint,
                                            list_checkpoints,
                                            move_checkpoints_aside,
                                            remove_orphaned_temporaries)
from .work_dir_lock import WorkDirLock

# mmengine's experiment name is '<config name>_<start time>'.
RUN_TIMESTAMP = re.compile(r'_\d{8}_\d{6}$')
# What tells one train set from another in a dataset config; the pipeline
# and loading options may change between a run and its resumption.
DATA_KEYS = ('data_root', 'data_prefix', 'ann_file', 'split')
MOVE_ASIDE = ('--force starts fresh here and moves the old checkpoints into '
              'a previous_<time>/ subdirectory')


class WorkDirNotEmptyError(RuntimeError):
    """A fresh run would overwrite the checkpoints of an earlier one."""


class OtherRunError(WorkDirNotEmptyError):
    """The work dir's checkpoints belong to a run of another config."""


class OtherDataError(OtherRunError):
    """The checkpoint to resume was trained on another data set."""


class BatchSizeError(ValueError):
    """The train set and the batch size do not fit together."""


def launcher_rank(launcher: str) -> int:
    """This process's rank before the process group exists, from the
    launcher's environment (``RANK`` for torchrun, ``SLURM_PROCID``...)."""
    variable = dict(
        pytorch='RANK', slurm='SLURM_PROCID',
        mpi='OMPI_COMM_WORLD_RANK').get(launcher)
    return int(os.environ.get(variable, 0)) if variable else 0


# --- the work dir: reruns and resumption ------------------------------------


def config_run_name(cfg) -> str:
    """The name a run of ``cfg`` records as its checkpoints'
    ``meta.experiment_name`` (without mmengine's timestamp): the config's
    ``experiment_name``, else its file name without ``.py``."""
    if cfg.get('experiment_name'):
        return cfg.experiment_name
    return osp.splitext(osp.basename(cfg.filename or ''))[0]


def _meta(path: str) -> dict:
    try:
        return read_checkpoint_meta(path)
    except (OSError, RuntimeError, ValueError):  # not a checkpoint: no meta
        return {}


def checkpoint_run_name(path: str) -> Optional[str]:
    """The config name in a checkpoint's meta; None if it has none or does
    not load."""
    name = _meta(path).get('experiment_name')
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
        f'with a new directory ({MOVE_ASIDE}).')


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
            f'fresh ({MOVE_ASIDE}).')
    backup = move_checkpoints_aside(work_dir)
    print_log(
        f'--force: moved {len(found)} earlier checkpoints into '
        f'{backup}; starting fresh.',
        logger='current')


def train_data_identity(cfg) -> Union[dict, list]:
    """What tells this run's train set from another's: the type and
    :data:`DATA_KEYS` of ``train_dataloader.dataset`` (of each dataset a
    wrapper holds), ``data_root`` as an absolute path. Plain types only,
    so that it can be stored in a checkpoint's meta."""

    def identity(dataset) -> Union[dict, list]:
        if 'datasets' in dataset:  # ConcatDataset
            return [identity(d) for d in dataset['datasets']]
        if 'dataset' in dataset:  # RepeatDataset, ClassBalancedDataset...
            return identity(dataset['dataset'])
        kind = dataset.get('type')
        out = dict(type=getattr(kind, '__name__', str(kind)))
        for key in DATA_KEYS:
            value = dataset.get(key)
            if key == 'data_root' and value and '://' not in value:
                value = osp.abspath(osp.expanduser(value))
            if isinstance(value, dict):  # data_prefix=dict(img_path=...)
                value = {str(k): str(v) for k, v in value.items()}
            if value not in (None, '', {}):
                out[key] = value
        return out

    return identity(cfg.train_dataloader.dataset)


def describe_data(identity: Union[dict, list]) -> str:
    """``CustomDataset at /data/a (data_prefix=train)``."""
    if isinstance(identity, list):
        return ' + '.join(describe_data(part) for part in identity)
    rest = ', '.join(f'{k}={v}' for k, v in identity.items()
                     if k not in ('type', 'data_root'))
    text = f'{identity.get("type")} at {identity.get("data_root", "?")}'
    return f'{text} ({rest})' if rest else text


class _TrainDataMetaHook(Hook):
    """Records :func:`train_data_identity` in every checkpoint's meta, for
    the check on ``--resume``."""
    priority = 'VERY_LOW'

    def __init__(self, identity: Union[dict, list]) -> None:
        self.identity = identity

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint.setdefault('meta', {})['train_data'] = self.identity


def refuse_other_run(checkpoint: str,
                     run_name: str,
                     train_data: Union[dict, list, None] = None) -> None:
    """Stop ``--resume`` from continuing a checkpoint of the work dir that
    another config's run wrote (:class:`OtherRunError`), or that was
    trained on another data set (:class:`OtherDataError`, when both the
    checkpoint and ``train_data`` tell)."""
    meta = _meta(checkpoint)
    work_dir = osp.dirname(checkpoint)
    other = meta.get('experiment_name')
    other = RUN_TIMESTAMP.sub('', other) if isinstance(other, str) else None
    if other is not None and other != run_name:
        raise _other_run(work_dir, other, run_name, list_checkpoints(work_dir))
    theirs = meta.get('train_data')
    if theirs is not None and train_data is not None and theirs != train_data:
        raise OtherDataError(
            f'{work_dir} holds a run of {run_name} trained on '
            f'{describe_data(theirs)}, not on {describe_data(train_data)} '
            "(this command's train_dataloader.dataset). Resuming would go "
            'on training it on other data: pass --work-dir with a new '
            f'directory ({MOVE_ASIDE}), or --resume {checkpoint} to go on '
            'with this data on purpose.')


def prepare_work_dir(cfg,
                     resume: Optional[str] = None,
                     force: bool = False) -> None:
    """Clear interrupted saves; refuse to start over an earlier run unless
    resuming or forced, and to resume another config's run or another
    data set's; pick the checkpoint ``--resume`` continues from
    (``cfg.load_from``).

    Args:
        cfg (Config): The run's config, with ``work_dir`` and ``launcher``.
        resume (str, optional): ``'auto'`` (``--resume`` without a path)
            or the checkpoint given. Defaults to None.
        force (bool): ``--force``, see :func:`refuse_to_overwrite`.
    """
    if resume is None and cfg.get('resume'):  # `resume = True` in the config
        resume = cfg.get('load_from') or 'auto'
    run_name = config_run_name(cfg)
    if launcher_rank(cfg.launcher) == 0:  # one process changes files
        remove_orphaned_temporaries(cfg.work_dir)
        if not resume:
            refuse_to_overwrite(cfg.work_dir, force, run_name)
    if resume == 'auto':
        cfg.load_from = find_resume_checkpoint(cfg.work_dir)
        cfg.resume = cfg.load_from is not None
        if cfg.resume:  # an explicit --resume PATH is the user's choice
            refuse_other_run(cfg.load_from, run_name, train_data_identity(cfg))
    elif resume:
        try:
            check_checkpoint_file(resume)
        except (FileNotFoundError, CheckpointFileError) as error:
            raise type(error)(f'--resume: {error}') from None
        cfg.resume, cfg.load_from = True, resume


# --- the built runner -------------------------------------------------------


def check_train_batches(runner) -> None:
    """Check the train loader's batches against the data set's size.

    Each process loads ``len(sampler)`` samples per epoch in batches of
    ``batch_size``. Raises :class:`BatchSizeError`, with both sizes in the
    message, when

    - there are fewer samples than one batch and ``drop_last=True``: every
      epoch would be empty (mmengine's epoch-based schedulers then fail
      with ``epoch_length must be a positive integer``);
    - the last batch would hold a single sample, ``drop_last`` is off and
      the model has BatchNorm layers: BatchNorm cannot train on one sample,
      and the run would crash at the end of the first epoch, before its
      first checkpoint. Pretraining configs set ``drop_last=True``.

    Call it before ``runner.train()``: mmengine builds the parameter
    schedulers from the epoch length before any hook runs. Accessing
    ``runner.train_dataloader`` builds the train loop, which ``train()``
    then reuses.

    Args:
        runner: An mmengine ``Runner`` with a train loop configured.
    """
    loader = runner.train_dataloader
    batch_size = loader.batch_size
    if batch_size is None:  # a custom batch sampler decides
        return
    samples = len(loader.sampler)
    where = 'per process' if runner.world_size > 1 else 'in total'
    if loader.drop_last and samples < batch_size:
        raise BatchSizeError(
            f'the train set gives {samples} samples {where}, fewer than one '
            f'batch of train_dataloader.batch_size={batch_size}; with '
            'drop_last=True no step would run. Use a smaller batch size or '
            'more images.')
    has_batchnorm = any(
        isinstance(m, _BatchNorm) for m in runner.model.modules())
    if not loader.drop_last and samples % batch_size == 1 and has_batchnorm:
        raise BatchSizeError(
            f'the train set gives {samples} samples {where}: with '
            f'train_dataloader.batch_size={batch_size} the last batch of '
            'every epoch holds 1 sample, on which the BatchNorm layers of '
            'the model cannot train. Set train_dataloader.drop_last=True '
            '(what the pretraining configs do) or change the batch size.')


def _pretrained_cfgs(module: nn.Module) -> List[dict]:
    init_cfg = getattr(module, 'init_cfg', None)
    cfgs = [init_cfg] if isinstance(init_cfg, dict) else (init_cfg or [])
    return [cfg for cfg in cfgs if cfg.get('type') == 'Pretrained']


def check_pretrained_init(model: nn.Module,
                          allow_partial: bool = False,
                          logger=None) -> Dict[str, dict]:
    """Check every ``Pretrained`` ``init_cfg`` of ``model`` (a linear probe
    or fine-tuning config's backbone) against its module.

    mmengine's ``Pretrained`` initialisation loads with ``strict=False`` and
    only logs missing keys. Call this after the model is built and before
    training: it loads each checkpoint with :func:`load_backbone_checkpoint`
    (the runner's ``init_weights`` loads it again later, so the weights it
    leaves do not matter) and so fails before the first step.

    Args:
        model (nn.Module): The built model, possibly wrapped (DDP).
        allow_partial (bool): Accept missing or unexpected keys (logged and
            returned). Defaults to False.
        logger (optional): Where to report accepted missing keys.

    Returns:
        dict: For each module with a ``Pretrained`` init (``'backbone'``),
        its ``missing_keys`` and ``unexpected_keys``.

    Raises:
        ValueError: If such an ``init_cfg`` names no checkpoint.
        PartialCheckpointError: As :func:`load_backbone_checkpoint`.
    """
    if is_model_wrapper(model):
        model = model.module
    results = {}
    for path, module in model.named_modules():
        for cfg in _pretrained_cfgs(module):
            where = f'model.{path}.init_cfg' if path else 'model.init_cfg'
            if not cfg.get('checkpoint'):
                raise ValueError(
                    f'{where} is Pretrained but names no checkpoint: pass '
                    f'--cfg-options {where}.checkpoint=PATH')
            results[path] = load_backbone_checkpoint(
                module,
                cfg['checkpoint'],
                cfg.get('prefix') or '',
                logger,
                allow_partial,
                name=f'model.{path} (from {where})')
    return results


def check_runner(runner, allow_partial: bool = False) -> None:
    """The checks that need the built runner, before ``runner.train()``:
    :func:`check_train_batches`, :func:`check_pretrained_init`, and on
    resumption that the checkpoint fits the model
    (:func:`~dilemma_mm.checkpoint.check_model_fits`); then records the
    train set in every checkpoint it saves, for the next ``--resume``.

    Args:
        runner: An mmengine ``Runner`` with a train loop configured.
        allow_partial (bool): See :func:`check_pretrained_init`.
    """
    cfg = runner.cfg
    if cfg.get('resume') and cfg.get('load_from'):
        check_model_fits(runner.model, cfg.load_from)
    check_train_batches(runner)
    check_pretrained_init(runner.model, allow_partial, runner.logger)
    runner.register_hook(_TrainDataMetaHook(train_data_identity(cfg)))


@contextlib.contextmanager
def preflight(cfg,
              resume: Optional[str] = None,
              force: bool = False,
              allow_partial: bool = False) -> Iterator[Callable]:
    """Check a training run before it starts, and hold its work dir while
    it runs (see the module docstring for the use).

    On entry: :class:`~dilemma_mm.engine.work_dir_lock.WorkDirLock` on the
    work dir (one process per run takes it), then
    :func:`prepare_work_dir`. The value of the ``with`` is
    :func:`check_runner` for the built runner.

    Args:
        cfg (Config): The run's config, with ``work_dir`` and ``launcher``.
        resume (str, optional): ``'auto'`` (``--resume`` without a path)
            or the checkpoint to resume. Defaults to None.
        force (bool): Start fresh over earlier checkpoints, moving them
            aside. Defaults to False.
        allow_partial (bool): Accept a ``Pretrained`` checkpoint that
            leaves weights missing. Defaults to False.
    """
    # Rank 0 holds the lock for the whole job. If it is refused, rank 0
    # exits before joining the process group and torchrun ends the others.
    lock = (
        WorkDirLock(cfg.work_dir)
        if launcher_rank(cfg.launcher) == 0 else contextlib.nullcontext())
    with lock:
        prepare_work_dir(cfg, resume, force)
        yield lambda runner: check_runner(runner, allow_partial)
