"""Refuse, before anything is trained, a train set that yields a batch the
model cannot train on."""
from torch.nn.modules.batchnorm import _BatchNorm


class BatchSizeError(ValueError):
    """The train set and the batch size do not fit together."""


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
