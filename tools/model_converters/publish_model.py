"""Publish a training checkpoint: weights and provenance only, hash-named.

Drops the optimizer and runner state (``optimizer``, ``message_hub``,
``param_schedulers``, ``ema_state_dict``...), keeps ``state_dict`` and
``meta`` (config, dataset meta, seed, epoch...) with the library versions
added, and writes ``OUT_YYYYMMDD-<sha256[:8]>.pth`` atomically, the hash
being that of the file's final bytes, which ``dilemma_mm.apis.get_model``
verifies on download.

Example::

    NAME=dilemma-mocov3_vit-small-p16_16xb256-amp-coslr-300e_in1k
    python tools/model_converters/publish_model.py \\
        work_dirs/$NAME/epoch_300.pth $NAME   # -> ${NAME}_<date>-<sha8>.pth
"""
import argparse
import datetime
import hashlib
import io
import os.path as osp
import sys
from typing import Optional

import mmengine
import mmpretrain
import torch

import dilemma_mm
from dilemma_mm.checkpoint import load_checkpoint_file, write_bytes_atomic


def publish(src: str, out: str, date: Optional[str] = None) -> str:
    """Write the published checkpoint of ``src``; returns its path.

    Args:
        src (str): A training checkpoint (mmengine's ``Runner``).
        out (str): Path prefix of the output; ``.pth`` is stripped.
        date (str, optional): ``YYYYMMDD`` for the name. Defaults to today.
    """
    checkpoint = load_checkpoint_file(src)
    if 'state_dict' not in checkpoint:
        raise ValueError(f'{src} has no state_dict: not a training checkpoint')
    state_dict = {k: v.cpu() for k, v in checkpoint['state_dict'].items()}
    date = date or datetime.date.today().strftime('%Y%m%d')
    meta = dict(checkpoint.get('meta') or {})
    meta.update(
        dilemma_mm_version=str(dilemma_mm.__version__),
        mmpretrain_version=str(mmpretrain.__version__),
        mmengine_version=str(mmengine.__version__),
        torch_version=str(torch.__version__),  # not TorchVersion: loadable
        published=date)
    dropped = sorted(set(checkpoint) - {'meta', 'state_dict'})
    buffer = io.BytesIO()
    torch.save(dict(meta=meta, state_dict=state_dict), buffer)
    data = buffer.getvalue()
    sha = hashlib.sha256(data).hexdigest()
    stem = out[:-len('.pth')] if out.endswith('.pth') else out
    path = write_bytes_atomic(data, f'{stem}_{date}-{sha[:8]}.pth')
    print(f'dropped {dropped}; wrote {path} ({len(data) / 2**20:.1f} MiB, '
          f'sha256 {sha})')
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='training checkpoint')
    parser.add_argument('out', help='output path prefix (name of the model)')
    parser.add_argument('--date', help='YYYYMMDD in the name (default today)')
    args = parser.parse_args(argv)
    if not osp.isfile(args.src):
        parser.error(f'no such file: {args.src}')
    publish(args.src, args.out, args.date)
    return 0


if __name__ == '__main__':
    sys.exit(main())
