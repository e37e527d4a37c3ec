"""One run per work dir, and ``--resume`` only of the same run (issue 19,
items 6, 7, 9 and 10), each through the real ``tools/train.py``."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest
from conftest import REPO_ROOT, make_image_folder, run_tool
from test_run_safety import digest, train
from test_train_tools import CONFIG, load, tiny_options

from dilemma_mm.engine.work_dir_lock import LOCK_NAME


@pytest.fixture(scope='module')
def two_epochs(tmp_path_factory):
    """A work dir holding a finished 2-epoch run on data set A."""
    root = tmp_path_factory.mktemp('run_a')
    data = make_image_folder(str(root / 'data_a'), size=32)
    train(root / 'run', data, 2)
    return dict(work_dir=root / 'run', data=data)


def copy_run(run: dict, tmp_path):
    work_dir = tmp_path / 'run'
    shutil.copytree(run['work_dir'], work_dir)
    # The pointer names the original's files: point it into the copy.
    (work_dir / 'last_checkpoint').write_text(str(work_dir / 'epoch_2.pth'))
    return work_dir


def test_resume_skips_a_truncated_checkpoint(two_epochs, tmp_path):
    # Item 9: last_checkpoint names a file cut short by a kill.
    work_dir = copy_run(two_epochs, tmp_path)
    last, earlier = work_dir / 'epoch_2.pth', work_dir / 'epoch_1.pth'
    last.write_bytes(last.read_bytes()[:100000])
    before = digest(earlier)

    # Given by path, it is named and refused before anything is built.
    proc = run_tool(
        [
            'tools/train.py', CONFIG, '--work-dir', tmp_path / 'by_path',
            '--resume', last
        ] + tiny_options(two_epochs['data'], 3),
        check=False)
    assert proc.returncode != 0
    assert (f'CheckpointFileError: --resume: {last} is not a usable '
            'checkpoint: it is truncated or corrupt (100000 bytes, the end '
            'of its zip archive is missing)') in proc.stdout
    assert 'PytorchStreamReader' not in proc.stdout
    assert not (tmp_path / 'by_path').exists()

    proc = run_tool(
        ['tools/train.py', CONFIG, '--work-dir', work_dir, '--resume'] +
        tiny_options(two_epochs['data'], 3))
    assert (f'{work_dir}/last_checkpoint names a checkpoint that does not '
            f'load: {last} is not a usable checkpoint: it is truncated or '
            'corrupt') in proc.stdout
    assert (f'; resuming from {earlier}, the newest checkpoint in the work '
            'dir that loads.') in proc.stdout
    assert 'resumed epoch: 1, iter: 4' in proc.stdout
    assert digest(earlier) == before
    assert load(str(work_dir / 'epoch_3.pth'))['meta']['epoch'] == 3


def test_resume_refuses_a_changed_model(two_epochs, tmp_path):
    # Item 10: the same config with num_layers 1 -> 2.
    work_dir = copy_run(two_epochs, tmp_path)
    before = digest(work_dir / 'epoch_2.pth')
    proc = run_tool(
        ['tools/train.py', CONFIG, '--work-dir', work_dir, '--resume'] +
        tiny_options(two_epochs['data'], 3,
                     'model.backbone.arch.num_layers=2'),
        check=False)
    assert proc.returncode != 0
    assert (f'ModelMismatchError: {work_dir}/epoch_2.pth does not fit the '
            'model of this command: missing keys 24 '
            '(backbone.layers.1.ln1.weight, ') in proc.stdout
    assert ('unexpected keys 0 (), other shapes 0 (). The run was trained '
            'with another model') in proc.stdout
    assert "parameter group that doesn't match" not in proc.stdout
    assert 'Epoch(train)' not in proc.stdout
    assert digest(work_dir / 'epoch_2.pth') == before


def test_resume_refuses_another_data_set(two_epochs, tmp_path):
    # Item 6: the demo's `--data B` into the work dir of a run on A.
    work_dir = copy_run(two_epochs, tmp_path)
    data_a = two_epochs['data']
    data_b = make_image_folder(str(tmp_path / 'data_b'), size=32)
    assert load(str(work_dir / 'epoch_2.pth'))['meta']['train_data'] == dict(
        type='CustomDataset', data_root=data_a, data_prefix='train')
    before = digest(work_dir / 'epoch_2.pth')
    proc = run_tool(
        ['tools/train.py', CONFIG, '--work-dir', work_dir, '--resume'] +
        tiny_options(data_b, 3),
        check=False)
    assert proc.returncode != 0
    assert (f'OtherDataError: {work_dir} holds a run of '
            'mocov3_vit-tiny-p8-convstem_1xb128-coslr-6e_shapes trained on '
            f'CustomDataset at {data_a} (data_prefix=train), not on '
            f'CustomDataset at {data_b} (data_prefix=train)') in proc.stdout
    assert f'or --resume {work_dir}/epoch_2.pth to go on' in proc.stdout
    assert 'Epoch(train)' not in proc.stdout
    assert digest(work_dir / 'epoch_2.pth') == before

    # The same data as a relative path is the same data set.
    relative = os.path.relpath(data_a, REPO_ROOT)
    proc = run_tool(
        ['tools/train.py', CONFIG, '--work-dir', work_dir, '--resume'] +
        tiny_options(relative, 3))
    assert 'resumed epoch: 2, iter: 8' in proc.stdout


def wait_for_holder(lock_file, pid: int, timeout: float = 300.) -> dict:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if lock_file.exists():
            try:
                holder = json.loads(lock_file.read_text())
            except ValueError:  # being written
                holder = {}
            if holder.get('pid') == pid:
                return holder
        time.sleep(0.5)
    raise AssertionError(f'{lock_file} never named pid {pid}')


def test_one_training_per_work_dir(tiny_image_folder, tmp_path):
    # Item 7: a second run into a live run's work dir stops and names the
    # holder; the lock of a killed run blocks no one.
    work_dir = tmp_path / 'run'
    lock_file = work_dir / LOCK_NAME
    command = [
        sys.executable, 'tools/train.py', CONFIG, '--work-dir',
        str(work_dir)
    ] + tiny_options(tiny_image_folder, 500)
    first = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        env=dict(os.environ, OMP_NUM_THREADS='1'),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT)
    try:
        holder = wait_for_holder(lock_file, first.pid)
        assert holder['host'] == socket.gethostname()
        proc = train(work_dir, tiny_image_folder, 1, check=False)
        assert first.poll() is None, 'the first run must still be training'
        assert proc.returncode != 0
        assert (f'WorkDirLockedError: {work_dir} is in use by another '
                f'training run, pid {first.pid} on {socket.gethostname()}, '
                f'started {holder["started"]}: ') in proc.stdout
        assert (f'pass --work-dir with another directory (lock file '
                f'{lock_file})') in proc.stdout
        assert 'Epoch(train)' not in proc.stdout
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    assert json.loads(lock_file.read_text())['pid'] == first.pid  # left

    proc = run_tool(
        ['tools/train.py', CONFIG, '--work-dir', work_dir, '--resume'] +
        tiny_options(tiny_image_folder, 1),
        check=False)
    assert (f'{lock_file} was left by a run that is no longer running (pid '
            f'{first.pid} on ') in proc.stdout
    assert 'taking it over' in proc.stdout
    assert not lock_file.exists()  # released at the end of the run


def test_dist_train_refused_by_a_live_holder(tiny_image_folder, tmp_path):
    # Item 7 with tools/dist_train.sh: rank 0 holds the lock for the job; a
    # refused rank 0 ends both processes, without a hang.
    work_dir = tmp_path / 'run'
    holder = subprocess.Popen([
        sys.executable, '-c', 'import sys, time\n'
        'from dilemma_mm.engine.work_dir_lock import WorkDirLock\n'
        'WorkDirLock(sys.argv[1]).acquire()\n'
        'time.sleep(600)\n',
        str(work_dir)
    ],
                              cwd=REPO_ROOT)
    try:
        wait_for_holder(work_dir / LOCK_NAME, holder.pid)
        proc = run_tool(
            ['tools/dist_train.sh', CONFIG, '2', '--work-dir', work_dir] +
            tiny_options(tiny_image_folder, 1),
            env=dict(PYTHON=sys.executable, PORT='29523'),
            timeout=300,
            check=False)
    finally:
        holder.kill()
        holder.wait()
    assert proc.returncode != 0
    assert (f'WorkDirLockedError: {work_dir} is in use by another training '
            f'run, pid {holder.pid} on') in proc.stdout
    assert 'Epoch(train)' not in proc.stdout


def test_latest_checkpoint_is_the_newest_that_loads(tmp_path):
    # The one lookup of a run's checkpoint, for --resume and the demo.
    import torch

    from dilemma_mm.checkpoint import latest_checkpoint
    assert latest_checkpoint(str(tmp_path)) is None
    for epoch in (1, 2):
        torch.save(
            dict(meta=dict(epoch=epoch)), tmp_path / f'epoch_{epoch}.pth')
        time.sleep(0.01)  # distinct mtimes
    pointer = tmp_path / 'last_checkpoint'
    pointer.write_text(str(tmp_path / 'epoch_2.pth'))
    assert latest_checkpoint(str(tmp_path)) == str(tmp_path / 'epoch_2.pth')
    (tmp_path / 'epoch_2.pth').write_bytes(b'')
    assert latest_checkpoint(str(tmp_path)) == str(tmp_path / 'epoch_1.pth')
    (tmp_path / 'epoch_1.pth').write_bytes(b'PK\x03\x04cut')
    assert latest_checkpoint(str(tmp_path)) is None
