"""Convert a timm ``VisionTransformer`` checkpoint to dilemma_mm.

Writes ``backbone.*`` in mmpretrain's ``VisionTransformer`` naming (which
``DilemmaViT`` shares) and timm's classifier ``head`` as
``head.layers.head.*`` (``VisionTransformerClsHead``), unless
``--backbone-only``. Load it with ``load_from`` into an ``ImageClassifier``
or with ``init_cfg=dict(type='Pretrained', checkpoint=OUT,
prefix='backbone.')`` into a backbone. timm's ``vit_small_patch16_224`` is
mmpretrain arch ``deit-small`` (384 wide, 12 layers, 6 heads); both use
LayerNorm eps 1e-6.

Example::

    python tools/model_converters/timm_to_dilemma_mm.py \\
        vit_small_patch16_224.pth vit-small-p16_timm_dilemma-mm.pth
"""
import argparse
import os.path as osp
import sys

import dilemma_mm  # noqa: F401  (allowlists mmengine's checkpoint classes)
from dilemma_mm.checkpoint import (extract_state_dict, load_checkpoint_file,
                                   save_atomic, timm_to_dilemma_mm)


def convert(src: str, dst: str, backbone_only: bool = False) -> dict:
    """Convert ``src`` to ``dst``; returns the written checkpoint."""
    state_dict = timm_to_dilemma_mm(
        extract_state_dict(load_checkpoint_file(src)), backbone_only)
    converted = dict(
        meta=dict(converted_from=osp.basename(src)), state_dict=state_dict)
    save_atomic(converted, dst)
    print(f'wrote {dst}: {len(state_dict)} tensors')
    return converted


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='timm checkpoint or state dict')
    parser.add_argument('dst', help='our checkpoint to write')
    parser.add_argument(
        '--backbone-only',
        action='store_true',
        help='drop the classifier head')
    args = parser.parse_args(argv)
    convert(args.src, args.dst, args.backbone_only)
    return 0


if __name__ == '__main__':
    sys.exit(main())
