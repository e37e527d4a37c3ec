"""One training run per work directory.

Two runs in one work dir write the same ``epoch_N.pth`` and
``last_checkpoint`` over each other. :class:`WorkDirLock` holds an exclusive
``flock`` on ``<work_dir>/train.lock`` while a run lives; the file names
the holder (pid, host, start time, command). The kernel drops the lock when
the process ends, however it ends, so the file a killed run leaves blocks
no one: the next run takes it over with a warning. Where ``flock`` is not
available, a holder on this host counts as alive while its pid is.
"""
import json
import logging
import os
import os.path as osp
import socket
import sys
import time
from typing import Optional

from mmengine.logging import print_log

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

LOCK_NAME = 'train.lock'


class WorkDirLockedError(RuntimeError):
    """A live process is training in the work dir."""


def describe_holder(holder: dict) -> str:
    """``pid 12 on host, started 2026-12-05 09:06:13: python tools/...``"""
    if not holder.get('pid'):
        return 'a run that is just starting'
    text = (f'pid {holder.get("pid")} on {holder.get("host")}, started '
            f'{holder.get("started")}')
    command = holder.get('command', '')
    command = command if len(command) <= 160 else command[:157] + '...'
    return f'{text}: {command}' if command else text


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def _same_file(fd: int, path: str) -> bool:
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (on_disk.st_dev, on_disk.st_ino)


def _read(fd: int) -> dict:
    os.lseek(fd, 0, os.SEEK_SET)
    data = os.read(fd, 1 << 16)
    try:
        holder = json.loads(data.decode())
    except ValueError:  # empty, or not ours
        return {}
    return holder if isinstance(holder, dict) else {}


class WorkDirLock:
    """Hold ``work_dir`` for one training run (a context manager).

    Args:
        work_dir (str): The run's work directory; created if missing.

    Raises:
        WorkDirLockedError: On entry, when a live process holds the lock;
            the message names the work dir and the holder.
    """

    def __init__(self, work_dir: str) -> None:
        self.work_dir = work_dir
        self.path = osp.join(work_dir, LOCK_NAME)
        self._fd: Optional[int] = None
        self._made_dir = False

    def _refusal(self, fd: int) -> Optional[str]:
        """None once this process holds ``fd``'s lock, else the error."""
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return None
            except BlockingIOError:
                return self._in_use(_read(fd))
            except OSError:  # no flock on this file system: pids decide
                pass
        holder = _read(fd)
        if not holder or holder.get('pid') == os.getpid():
            return None
        if holder.get('host') != socket.gethostname():
            return (f'{self.work_dir} is held by a run on another host, '
                    f'{describe_holder(holder)}, which cannot be checked '
                    f'from here: if it has ended, delete {self.path}.')
        return self._in_use(holder) if _pid_alive(int(holder['pid'])) else None

    def _in_use(self, holder: dict) -> str:
        return (f'{self.work_dir} is in use by another training run, '
                f'{describe_holder(holder)}. Two runs in one work dir write '
                'the same checkpoints over each other: wait for it to end, '
                f'or pass --work-dir with another directory (lock file '
                f'{self.path}).')

    def acquire(self) -> 'WorkDirLock':
        self._made_dir = not osp.isdir(self.work_dir)
        os.makedirs(self.work_dir, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                refusal = self._refusal(fd)
                if refusal is not None:
                    raise WorkDirLockedError(refusal)
                # Its holder may have released and removed the file between
                # our open and our lock: then lock the new file.
                if _same_file(fd, self.path):
                    break
            except BaseException:
                os.close(fd)
                raise
            os.close(fd)
        previous = _read(fd)
        if previous:
            print_log(
                f'{self.path} was left by a run that is no longer running '
                f'({describe_holder(previous)}); taking it over.',
                logger='current',
                level=logging.WARNING)
        holder = dict(
            pid=os.getpid(),
            host=socket.gethostname(),
            started=time.strftime('%Y-%m-%d %H:%M:%S'),
            command=' '.join([osp.basename(sys.executable)] + sys.argv))
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, json.dumps(holder).encode())
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            # Removed while still locked, so that no one locks a stale file.
            if _same_file(self._fd, self.path):
                os.remove(self.path)
        finally:
            os.close(self._fd)  # drops the flock
            self._fd = None
        if self._made_dir:  # a run refused at once leaves no empty dir
            try:
                os.rmdir(self.work_dir)
            except OSError:  # not empty: the run's files
                pass

    def __enter__(self) -> 'WorkDirLock':
        return self.acquire()

    def __exit__(self, *exc_info) -> None:
        self.release()
