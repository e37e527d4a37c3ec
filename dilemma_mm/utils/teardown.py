"""Orderly end of a run: data-loading workers first, then the process group.

Both are left to interpreter shutdown by mmengine's ``Runner``, where they
can hold a finished run for a long time: PyTorch releases a persistent,
pin-memory loader's workers at exit by joining each with a 5 s timeout in
turn (before 2.14), so 14 workers kept a finished 1-GPU ``torchrun`` job
alive for about 70 s on an H100 machine, and NCCL's communicators torn down
by finalisers can block a rank's exit. Ending them while the interpreter is
still whole takes a moment.
"""
import torch.distributed as torch_dist


def shutdown_dataloader_workers(runner) -> None:
    """Stop the worker processes of every data loader ``runner`` built.

    Args:
        runner: an mmengine ``Runner`` after ``train()``, ``val()`` or
            ``test()``. Loops it never built (still config dicts) are
            skipped, so nothing is built here.
    """
    for name in ('_train_loop', '_val_loop', '_test_loop'):
        loop = getattr(runner, name, None)
        loader = getattr(loop, 'dataloader', None)
        iterator = getattr(loader, '_iterator', None)
        if iterator is None:
            continue
        # The iterator's own shutdown: joins the pin-memory thread, tells
        # each worker to stop and joins it (what __del__ would do, if it ran
        # before the interpreter's exit).
        shutdown = getattr(iterator, '_shutdown_workers', None)
        if shutdown is not None:
            shutdown()
        loader._iterator = None


def release_process_group() -> None:
    """Destroy the default process group, if this process joined one."""
    if torch_dist.is_available() and torch_dist.is_initialized():
        torch_dist.destroy_process_group()


def finish_run(runner) -> None:
    """Release what ``runner`` holds beyond its results (workers, then the
    process group), so the process exits as soon as its work is done."""
    try:
        shutdown_dataloader_workers(runner)
    finally:
        release_process_group()
