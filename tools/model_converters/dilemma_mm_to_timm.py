"""Convert our ViT backbone to timm's ``VisionTransformer``.

Takes a dilemma_mm / mmpretrain checkpoint (``backbone.*`` of any
algorithm or classifier, or a bare backbone state dict) and writes a timm
state dict: ``timm.create_model('vit_small_patch16_224')`` (for a
384-wide, 12-layer, 6-head ViT-S/16 at 224 px, mmpretrain arch
``deit-small``) loads it with ``strict=True`` and computes the same class
token. A ViT classifier head (``head.layers.head`` / ``head.fc``) becomes
timm's ``head``; without one, a zero head of ``--num-classes`` classes is
added so that the default 1000-class model loads it (``--num-classes 0``
for ``timm.create_model(name, num_classes=0)``).

MoCo v3's ViT-S (``mocov3-small``: 12 heads) is
``timm.create_model('vit_small_patch16_224', num_heads=12)``.

Example::

    python tools/model_converters/dilemma_mm_to_timm.py \\
        work_dirs/.../epoch_300.pth vit_small_dilemma_timm.pth
"""
import argparse
import sys

import dilemma_mm  # noqa: F401  (allowlists mmengine's checkpoint classes)
from dilemma_mm.checkpoint import (dilemma_mm_to_timm, extract_state_dict,
                                   load_checkpoint_file, save_atomic)


def convert(src: str, dst: str, num_classes: int = 1000) -> dict:
    """Convert ``src`` to ``dst``; returns the written state dict."""
    state_dict = dilemma_mm_to_timm(
        extract_state_dict(load_checkpoint_file(src)), num_classes)
    save_atomic(state_dict, dst)
    print(f'wrote {dst}: {len(state_dict)} tensors in timm naming')
    return state_dict


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='our checkpoint')
    parser.add_argument('dst', help='timm state dict to write')
    parser.add_argument(
        '--num-classes',
        type=int,
        default=1000,
        help='classes of the zero head added when the checkpoint has no '
        'classifier (0: none)')
    args = parser.parse_args(argv)
    convert(args.src, args.dst, args.num_classes)
    return 0


if __name__ == '__main__':
    sys.exit(main())
