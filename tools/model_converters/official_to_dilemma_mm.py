"""Convert the authors' MoCo v3 / DILEMMA checkpoints to dilemma_mm.

Reads MoCo v3's (facebookresearch/moco-v3) and the DILEMMA fork's
``checkpoint_%04d.pth.tar`` (``state_dict`` of ``module.base_encoder``,
``module.momentum_encoder``, ``module.predictor`` and, for DILEMMA,
``module.dilemma_head``; timm ViT naming), MoCo v3's released
``vit-s-300ep.pth.tar`` / ``vit-b-300ep.pth.tar`` alike, and linear-probe
checkpoints (``linear-vit-*.pth.tar``: a ViT with a linear ``head``).

The output is a checkpoint of our algorithm (``DilemmaMoCoV3`` /
``MoCoV3`` with a ``DilemmaMoCoV3ViT`` / ``MoCoV3ViT`` backbone), or with
``--backbone-only`` just ``backbone.*`` for linear probing and fine-tuning
(``init_cfg=dict(type='Pretrained', checkpoint=OUT, prefix='backbone.')``).
The input is loaded with ``weights_only=True``; its ``args`` (an
``argparse.Namespace``) is allowed for this load and kept as a dict in
``meta``; the optimizer is dropped. See
``dilemma_mm.checkpoint.official_to_dilemma_mm`` for the key mapping.

Example::

    python tools/model_converters/official_to_dilemma_mm.py \\
        checkpoint_0299.pth.tar dilemma-mocov3_vit-small_official.pth
    python tools/model_converters/official_to_dilemma_mm.py \\
        vit-s-300ep.pth.tar vit-small_mocov3-official_backbone.pth \\
        --backbone-only
"""
import argparse
import os.path as osp
import sys

import dilemma_mm  # noqa: F401  (allowlists mmengine's checkpoint classes)
from dilemma_mm.checkpoint import (extract_state_dict, load_checkpoint_file,
                                   official_to_dilemma_mm, save_atomic)


def convert(src: str, dst: str, backbone_only: bool = False) -> dict:
    """Convert ``src`` to ``dst``; returns the written checkpoint."""
    checkpoint = load_checkpoint_file(
        src, extra_safe_globals=[argparse.Namespace])
    state_dict = official_to_dilemma_mm(
        extract_state_dict(checkpoint), backbone_only)
    meta = dict(converted_from=osp.basename(src))
    if isinstance(checkpoint, dict):
        for key in ('epoch', 'arch'):
            if key in checkpoint:
                meta[key] = checkpoint[key]
        if isinstance(checkpoint.get('args'), argparse.Namespace):
            meta['official_args'] = dict(vars(checkpoint['args']))
    converted = dict(meta=meta, state_dict=state_dict)
    save_atomic(converted, dst)
    parts = sorted({k.split('.')[0] for k in state_dict})
    print(f'wrote {dst}: {len(state_dict)} tensors ({", ".join(parts)})')
    return converted


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help="the authors' checkpoint (.pth.tar)")
    parser.add_argument('dst', help='output checkpoint (.pth)')
    parser.add_argument(
        '--backbone-only',
        action='store_true',
        help='keep only backbone.* (for linear probing / fine-tuning)')
    args = parser.parse_args(argv)
    convert(args.src, args.dst, args.backbone_only)
    return 0


if __name__ == '__main__':
    sys.exit(main())
