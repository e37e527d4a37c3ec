"""A finished run releases its data-loading workers and process group
before it returns, rather than leaving them to interpreter shutdown."""
import gc
import multiprocessing

import torch.distributed as torch_dist
from conftest import load_tool
from test_train_tools import CONFIG, tiny_options

from dilemma_mm.utils.teardown import finish_run, release_process_group


def worker_processes() -> list:
    return [p for p in multiprocessing.active_children() if p.is_alive()]


def test_train_returns_with_no_loader_workers_alive(tiny_image_folder,
                                                    tmp_path, monkeypatch):
    train = load_tool('tools/train.py')
    argv = [CONFIG, '--work-dir', str(tmp_path / 'run')] + tiny_options(
        tiny_image_folder, 1, 'train_dataloader.num_workers=2',
        'train_dataloader.persistent_workers=True')
    released = []
    monkeypatch.setattr(
        train, 'finish_run',
        lambda runner: released.append(runner) or finish_run(runner))
    assert not worker_processes()
    # Reference cycles (runner <-> hooks, loops) would otherwise keep the
    # loader alive until a collection; none may run before the check.
    gc.disable()
    try:
        train.main(argv)
        assert len(released) == 1
        assert not worker_processes()
        loader = released[0].train_loop.dataloader
        assert loader._iterator is None
    finally:
        gc.enable()


def test_without_teardown_persistent_workers_outlive_the_run(
        tiny_image_folder, tmp_path, monkeypatch):
    """The control for the test above: the workers it sees stopped do
    outlive ``runner.train()`` when nothing stops them."""
    train = load_tool('tools/train.py')
    argv = [CONFIG, '--work-dir', str(tmp_path / 'run')] + tiny_options(
        tiny_image_folder, 1, 'train_dataloader.num_workers=2',
        'train_dataloader.persistent_workers=True')
    kept = []
    monkeypatch.setattr(train, 'finish_run', kept.append)
    gc.disable()
    try:
        train.main(argv)
        assert len(worker_processes()) == 2
        finish_run(kept[0])
        assert not worker_processes()
    finally:
        gc.enable()


def test_release_process_group(tmp_path):
    torch_dist.init_process_group(
        'gloo',
        init_method=f'file://{tmp_path / "store"}',
        rank=0,
        world_size=1)
    assert torch_dist.is_initialized()
    release_process_group()
    assert not torch_dist.is_initialized()
    release_process_group()  # nothing to release: no error
