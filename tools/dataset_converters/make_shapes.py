"""Generate the built-in shape dataset (ImageNet-style train/val folders).

Example::

    python tools/dataset_converters/make_shapes.py --out data/shapes
    # figure and background filled with procedural textures
    python tools/dataset_converters/make_shapes.py --style textured \
        --out data/shapes_textured

A folder whose ``meta.json`` records the same parameters is left as it is, so
the command is cheap to repeat before every training run.
"""
import argparse
import importlib.util
import json
import os.path as osp
import sys
from types import ModuleType
from typing import List, Optional, Sequence


def load_shapes_module() -> ModuleType:
    """Import ``dilemma_mm/datasets/generators`` on its own.

    Importing the ``dilemma_mm`` package would pull in torch and mmpretrain
    (seconds) for generators that need only NumPy and Pillow, so the
    package is loaded from its folder; an installed package is the
    fallback.
    """
    folder = osp.join(
        osp.dirname(osp.abspath(__file__)), '..', '..', 'dilemma_mm',
        'datasets', 'generators')
    if not osp.isfile(osp.join(folder, '__init__.py')):
        from dilemma_mm.datasets import generators
        return generators.shapes
    name = '_dilemma_generators'
    if name not in sys.modules:
        _load_package(name, folder)
    return importlib.import_module(f'{name}.shapes')


def _load_package(name: str, folder: str) -> None:
    """Import the package in ``folder`` under ``name``."""
    spec = importlib.util.spec_from_file_location(
        name,
        osp.join(folder, '__init__.py'),
        submodule_search_locations=[folder])
    package = importlib.util.module_from_spec(spec)
    # Registered so that worker processes can unpickle its functions.
    sys.modules[spec.name] = package
    spec.loader.exec_module(package)


def build_parser(classes: Sequence[str],
                 styles: Sequence[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description='Write procedurally generated shape images in which only '
        'the shape tells the classes apart.')
    parser.add_argument('--out', default='data/shapes', help='output folder')
    parser.add_argument(
        '--num-train', type=int, default=1000, help='train images per class')
    parser.add_argument(
        '--num-val', type=int, default=100, help='val images per class')
    parser.add_argument('--size', type=int, default=32, help='image side')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--style',
        choices=styles,
        default='flat',
        help='flat: palette colours; textured: procedural textures in '
        'figure and background')
    parser.add_argument(
        '--max-rotation',
        type=float,
        default=30.,
        help='rotation range in degrees either way (180: any angle)')
    parser.add_argument(
        '--classes',
        nargs='+',
        choices=classes,
        metavar='CLASS',
        help=f'subset of the shapes (default: all of {", ".join(classes)})')
    parser.add_argument(
        '--workers', type=int, default=1, help='parallel processes')
    parser.add_argument(
        '--force',
        action='store_true',
        help='regenerate even if a matching dataset exists')
    return parser


def announce_replacement(out: str, params: dict) -> None:
    """Say which recorded parameters differ when a shape folder is about
    to be replaced by one of other parameters."""
    try:
        with open(osp.join(out, 'meta.json')) as f:
            old = json.load(f)['params']
    except (OSError, ValueError, KeyError, TypeError):
        return
    changed = [
        f'{k} {old.get(k)} -> {v}' for k, v in params.items()
        if k in old and old.get(k) != v
    ]
    if changed:
        print(f'Replacing {out}, generated with other parameters: ' +
              ', '.join(changed))


def main(argv: Optional[List[str]] = None) -> dict:
    shapes = load_shapes_module()
    args = build_parser(shapes.SHAPE_CLASSES, shapes.STYLES).parse_args(argv)
    params = dict(
        num_train=args.num_train,
        num_val=args.num_val,
        size=args.size,
        seed=args.seed,
        classes=args.classes,
        max_rotation=args.max_rotation,
        style=args.style)
    if args.classes is not None:  # meta.json records them sorted
        params['classes'] = sorted(set(args.classes))
    else:
        del params['classes']
    announce_replacement(args.out, params)
    try:
        return shapes.make_shapes_dataset(
            args.out,
            num_train=args.num_train,
            num_val=args.num_val,
            size=args.size,
            seed=args.seed,
            classes=args.classes,
            max_rotation=args.max_rotation,
            workers=args.workers,
            force=args.force,
            style=args.style)
    except (FileExistsError, ValueError) as e:  # a sentence, not a trace
        raise SystemExit(f'make_shapes.py: {e}')


if __name__ == '__main__':
    main()
