"""Two gloo processes on this machine for the tests of collective code:
``run_on_two_ranks(target, tmp_path)`` forks them, ``target(rank, port,
out_dir)`` joins the group with ``init_gloo(rank, port)``."""
import socket

import torch
import torch.multiprocessing as mp


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def init_gloo(rank: int, port: int) -> None:
    """Join a two-process gloo group on this machine, one thread each."""
    torch.set_num_threads(1)
    torch.distributed.init_process_group(
        'gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank, world_size=2)


def run_on_two_ranks(target, tmp_path) -> None:
    """``target(rank, port, out_dir)`` in two forked processes (no
    re-import: seconds, not tens)."""
    mp.start_processes(
        target,
        args=(free_port(), str(tmp_path)),
        nprocs=2,
        join=True,
        start_method='fork')
