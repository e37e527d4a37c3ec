"""Procedural shape images in which only the *shape* tells classes apart.

Each image is one filled shape on a background. Everything except the shape
outline is a nuisance drawn independently of the class: the foreground and
background textures (solid, stripes, checker, blobs, grain), their colours
(two different entries of a small palette, jittered), the scale, the
rotation (within +-``max_rotation``, 30 degrees by default), the position
(near the middle), a top-to-bottom lighting falloff and a little pixel
noise. The foreground and background colours come from the same
distribution, so the mean colour of an image says nothing about its class
and a model has to look at the outline: the cue DILEMMA's misplaced-token
detection is meant to teach.

Version 3 limits the rotation to +-30 degrees by default (any angle
before), as objects in photographs are mostly upright; the CPU recipes use
32 px images of it. Measured with labels, the rotation range is not what
limits a small ViT: without a convolutional stem it reached 30.0 % and
29.5 % top-1 after 200 steps at any angle and at +-30 degrees.

Version 2 (the palette, the centring and the lighting) replaced random
colours anywhere in RGB and shapes anywhere in the image. With those,
MoCo v3 could tell images apart by colour alone, and no patch said where it
belonged; both methods' k-NN top-1 stayed near chance (11 %).

Style ``'textured'`` (``make_shapes.py --style textured``) fills figure and
background with procedural colour textures instead (:mod:`.textures`:
gratings, checks, oriented and 1/f noise, dots), each of a random family,
orientation, period and pair of colours drawn uniformly in hue, and lights
the image from a random direction. No flat colour pair identifies an image
there, as no photo texture would: it is the benchmark of shape learning
through texture. Both regions come from the same distribution; their mean
colours differ by at least ``MIN_REGION_CONTRAST`` so that the outline
stays visible.

The dataset is an ImageNet-style folder readable by mmpretrain's
``CustomDataset`` with ``data_prefix='train'`` (or ``'val'``)::

    out/meta.json                  classes, parameters and counts
    out/train/<class>/00000.png
    out/val/<class>/00000.png

Every image has its own random generator seeded by ``(seed, split, class,
index)``, so the output does not depend on the order or the process in which
images are drawn, and the same seed gives the same bytes.

This module needs only NumPy and Pillow: ``tools/dataset_converters/
make_shapes.py`` loads it without importing torch or mmpretrain.
"""
import json
import os
import os.path as osp
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from typing import Optional, Sequence, Tuple

import numpy as np
from PIL import Image, ImageDraw

from .textures import draw_texture

# Alphabetical, so that the class indices here equal those CustomDataset
# derives from the sorted folder names.
SHAPE_CLASSES = ('arrow', 'circle', 'crescent', 'cross', 'ellipse', 'heart',
                 'hexagon', 'pentagon', 'ring', 'square', 'star', 'triangle')
TEXTURES = ('solid', 'stripes', 'checker', 'blobs', 'grain')
SPLITS = ('train', 'val')
# Bump when a style's drawing changes, so that cached folders are
# regenerated.
GENERATOR_VERSION = dict(flat=3, textured=1)
STYLES = tuple(GENERATOR_VERSION)
# Default rotation range, degrees either way (180: any angle); objects in
# photographs are mostly upright.
MAX_ROTATION = 30.
# Foreground and background colours are two different entries of this
# palette, jittered a little. A small palette (56 ordered pairs) makes
# colour a poor way to tell one image from another: with continuous random
# colours, MoCo v3 told instances apart by colour alone and its features
# ignored shape (version 1 of this data, k-NN near chance).
PALETTE = np.array([(220, 50, 50), (60, 170, 70), (50, 90, 220),
                    (230, 200, 50), (200, 60, 200), (60, 200, 210),
                    (235, 235, 235), (40, 40, 40)], np.float32)
COLOUR_JITTER = 15.
# Shape centres lie within this fraction of the side from the image centre.
CENTER_JITTER = .12
# Range of the top-to-bottom lighting falloff (0.3: +15 % at the top edge,
# -15 % at the bottom).
LIGHT_FALLOFF = (.2, .5)
# Textured style: least RGB distance between the mean colours of figure and
# background (of 441 at most), redrawn until met.
MIN_REGION_CONTRAST = 80.

# A polygon and the value it paints into the mask: 1 adds, 0 cuts a hole.
Stroke = Tuple[np.ndarray, int]


def _regular(n: int, radius: float = 1., phase: float = 0.) -> np.ndarray:
    """``n`` points on a circle, the first at angle ``phase``."""
    angles = phase + 2 * np.pi * np.arange(n) / n
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def _fit_unit(points: np.ndarray) -> np.ndarray:
    """Centre the bounding box at the origin and scale to radius 1."""
    points = points - (points.min(0) + points.max(0)) / 2
    return points / np.linalg.norm(points, axis=1).max()


@lru_cache(maxsize=None)
def _unit_shape(name: str) -> Tuple[Stroke, ...]:
    """Strokes of shape ``name`` inside the unit circle (y points down)."""
    if name == 'circle':
        return ((_regular(48), 1), )
    if name == 'ellipse':
        return ((_regular(48) * [1., .55], 1), )
    if name in ('triangle', 'square', 'pentagon', 'hexagon'):
        sides = dict(triangle=3, square=4, pentagon=5, hexagon=6)[name]
        return ((_regular(sides, phase=-np.pi / 2), 1), )
    if name == 'star':
        outer = _regular(5, 1., -np.pi / 2)
        inner = _regular(5, .42, -np.pi / 2 + np.pi / 5)
        return ((np.stack([outer, inner], 1).reshape(-1, 2), 1), )
    if name == 'cross':
        w = .32  # half-width of an arm
        arm = [(w, -1), (w, -w), (1, -w), (1, w), (w, w), (w, 1)]
        pts = np.array(arm + [(-x, -y) for x, y in arm], dtype=float)
        return ((_fit_unit(pts), 1), )
    if name == 'ring':
        return ((_regular(48), 1), (_regular(48, .55), 0))
    if name == 'crescent':
        return ((_regular(48), 1), (_regular(48, .82) + [.42, -.1], 0))
    if name == 'heart':
        t = np.linspace(0, 2 * np.pi, 64, endpoint=False)
        x = 16 * np.sin(t)**3
        y = 13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(
            4 * t)
        return ((_fit_unit(np.stack([x, -y], 1)), 1), )
    if name == 'arrow':
        pts = np.array([(-1, -.2), (.15, -.2), (.15, -.55), (1, 0), (.15, .55),
                        (.15, .2), (-1, .2)])
        return ((_fit_unit(pts), 1), )
    raise ValueError(f'Unknown shape {name!r}; choose from {SHAPE_CLASSES}')


def shape_mask(shape: str,
               center: Sequence[float],
               radius: float,
               angle: float,
               size: int,
               supersample: int = 4) -> np.ndarray:
    """Anti-aliased coverage of a shape on a ``size`` x ``size`` canvas.

    Args:
        shape (str): One of :data:`SHAPE_CLASSES`.
        center (Sequence[float]): ``(x, y)`` of the shape's centre in pixels.
        radius (float): Radius in pixels of the circle that bounds the shape.
        angle (float): Rotation in radians.
        size (int): Side of the square canvas in pixels.
        supersample (int): Polygons are filled on a canvas this many times
            larger and averaged down, which anti-aliases the outline.

    Returns:
        np.ndarray: Float32 array (size, size) in [0, 1].
    """
    rot = np.array([[np.cos(angle), -np.sin(angle)],
                    [np.sin(angle), np.cos(angle)]])
    big = Image.new('L', (size * supersample, ) * 2, 0)
    draw = ImageDraw.Draw(big)
    for points, value in _unit_shape(shape):
        xy = (points @ rot.T * radius + np.asarray(center)) * supersample
        draw.polygon([tuple(p) for p in xy], fill=255 * value)
    # Box-average each supersample x supersample block (in C, fast).
    return np.asarray(big.reduce(supersample), dtype=np.float32) / 255.


@lru_cache(maxsize=8)
def _grid(size: int) -> Tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates ``(x, y)``, each (size, size)."""
    coords = np.arange(size, dtype=np.float32) + .5
    return np.meshgrid(coords, coords)


def _pattern(rng: np.random.Generator, kind: str, size: int) -> np.ndarray:
    """A (size, size) map in [0, 1] that mixes a texture's two colours."""
    x, y = _grid(size)
    angle = rng.uniform(0, np.pi)
    u = x * np.cos(angle) + y * np.sin(angle)
    v = -x * np.sin(angle) + y * np.cos(angle)
    if kind == 'solid':
        return np.zeros((size, size), np.float32)
    if kind == 'stripes':
        period = rng.uniform(3, 10)
        phase = rng.uniform(0, 1)
        return (np.sin(2 * np.pi * (u / period + phase))
                > 0).astype(np.float32)
    if kind == 'checker':
        cell = rng.uniform(3, 9)
        return ((np.floor(u / cell) + np.floor(v / cell)) % 2).astype(
            np.float32)
    if kind == 'blobs':
        # Smooth random field: a coarse random grid upsampled bilinearly.
        cells = int(rng.integers(3, 10))
        coarse = rng.random((cells, cells), dtype=np.float32)
        field = Image.fromarray(coarse, 'F').resize((size, size),
                                                    Image.BILINEAR)
        return np.asarray(field)
    if kind == 'grain':
        return rng.random((size, size), dtype=np.float32)
    raise ValueError(f'Unknown texture {kind!r}; choose from {TEXTURES}')


def _two_colours(rng: np.random.Generator) -> np.ndarray:
    """Base RGB colours of foreground and background, (2, 3).

    Two different :data:`PALETTE` entries, each jittered by up to
    ``COLOUR_JITTER`` per channel. Both come from the same distribution (the
    swap of the two is as likely), so colour is independent of which region
    is the shape; distinct entries keep the outline visible.
    """
    first, second = rng.choice(len(PALETTE), size=2, replace=False)
    jitter = rng.uniform(-COLOUR_JITTER, COLOUR_JITTER, size=(2, 3))
    return np.clip(PALETTE[[first, second]] + jitter, 0, 255)


def _texture(rng: np.random.Generator, base: np.ndarray,
             size: int) -> Tuple[np.ndarray, str]:
    """A textured (size, size, 3) float image around colour ``base``."""
    kind = TEXTURES[rng.integers(len(TEXTURES))]
    # The second colour stays near the base so that the texture's contrast
    # stays below the foreground/background contrast.
    second = np.clip(base + rng.uniform(-40, 40, size=3), 0, 255)
    mix = _pattern(rng, kind, size)[..., None]
    base, second = base.astype(np.float32), second.astype(np.float32)
    return base + (second - base) * mix, kind


def _textured_regions(rng: np.random.Generator,
                      size: int) -> Tuple[np.ndarray, np.ndarray, dict]:
    """Figure and background textures, (size, size, 3) each, whose mean
    colours differ by at least :data:`MIN_REGION_CONTRAST`, and their
    parameters (``fg_*`` and ``bg_*``)."""
    fg, fg_params = draw_texture(rng, size)
    while True:
        bg, bg_params = draw_texture(rng, size)
        distance = np.linalg.norm(fg_params['mean_colour'] -
                                  bg_params['mean_colour'])
        if distance >= MIN_REGION_CONTRAST:
            break
    params = {f'fg_{k}': v for k, v in fg_params.items()}
    params.update({f'bg_{k}': v for k, v in bg_params.items()})
    return fg, bg, params


def render_shape(rng: np.random.Generator,
                 shape: str,
                 size: int = 64,
                 return_params: bool = False,
                 max_rotation: float = MAX_ROTATION,
                 style: str = 'flat'):
    """Draw one image of ``shape`` with all nuisances drawn from ``rng``.

    Args:
        rng (np.random.Generator): Source of every random choice.
        shape (str): One of :data:`SHAPE_CLASSES`.
        size (int): Side of the square image in pixels.
        return_params (bool): Also return the drawn nuisance parameters.
        max_rotation (float): The shape is rotated by a uniform angle in
            ``[-max_rotation, max_rotation]`` degrees; 180 for any angle.
        style (str): ``'flat'``: two palette colours with faint textures;
            ``'textured'``: procedural colour textures in both regions and
            light from a random direction.

    Returns:
        np.ndarray | tuple: The uint8 RGB image (size, size, 3), and with
        ``return_params`` a dict of its parameters (centre, radius, angle,
        light, noise and the regions' colours and textures).
    """
    if style not in STYLES:
        raise ValueError(f'Unknown style {style!r}; choose from {STYLES}')
    # Bounding radius 28-45 % of the side: 36-58 px wide shapes at 64 px, so
    # that the outline crosses many 8 px patches.
    radius = rng.uniform(.28, .45) * size
    # Near the middle, as objects in photographs tend to be: the outline
    # then says where a patch sits (an edge with the shape to its right is
    # on the left), the cue misplaced-token detection learns from.
    center = size / 2 + rng.uniform(-CENTER_JITTER, CENTER_JITTER, 2) * size
    angle = np.deg2rad(rng.uniform(-max_rotation, max_rotation))
    params = dict(
        shape=shape, center=tuple(center), radius=radius, angle=angle)
    if style == 'flat':
        colours = _two_colours(rng)
        fg, fg_kind = _texture(rng, colours[0], size)
        bg, bg_kind = _texture(rng, colours[1], size)
        params.update(
            fg_colour=tuple(colours[0]),
            bg_colour=tuple(colours[1]),
            fg_texture=fg_kind,
            bg_texture=bg_kind)
    else:
        fg, bg, region_params = _textured_regions(rng, size)
        params.update(region_params)
    alpha = shape_mask(shape, center, radius, angle, size)[..., None]
    noise_std = rng.uniform(0, 8)
    image = alpha * fg + (1 - alpha) * bg
    light = rng.uniform(*LIGHT_FALLOFF)
    x, y = _grid(size)
    if style == 'flat':
        # Light from above: brighter at the top, darker at the bottom, by a
        # random amount, like a sky/ground prior in photographs.
        direction = np.pi / 2
        along = y / size
    else:
        # From any side: no pixel's brightness says where it sits.
        direction = rng.uniform(0, 2 * np.pi)
        along = ((x - size / 2) * np.cos(direction) +
                 (y - size / 2) * np.sin(direction)) / size + .5
    # along: 0 at the lit edge of the image, 1 at the opposite one
    image *= 1 + light * (.5 - along[..., None])
    image += noise_std * rng.standard_normal(image.shape, np.float32)
    image = np.clip(np.rint(image), 0, 255).astype(np.uint8)
    if not return_params:
        return image
    params.update(
        light_falloff=light, light_direction=direction, noise_std=noise_std)
    return image, params


def sample_rng(seed: int, split: str, shape: str,
               index: int) -> np.random.Generator:
    """The generator of one image, keyed by what identifies the image.

    Args:
        seed (int): Dataset seed.
        split (str): ``'train'`` or ``'val'``.
        shape (str): Class name, one of :data:`SHAPE_CLASSES`.
        index (int): Index of the image within its class and split.

    Returns:
        np.random.Generator: A generator independent of all other images'.
    """
    return np.random.default_rng(
        [seed, SPLITS.index(split),
         SHAPE_CLASSES.index(shape), index])


def _write_folder(job: Tuple[str, str, str, int, int, int, float, str]) -> int:
    """Write the images of one (split, class) folder; returns their count."""
    root, split, shape, count, size, seed, max_rotation, style = job
    folder = osp.join(root, split, shape)
    os.makedirs(folder, exist_ok=True)
    for index in range(count):
        image = render_shape(
            sample_rng(seed, split, shape, index),
            shape,
            size,
            max_rotation=max_rotation,
            style=style)
        Image.fromarray(image).save(
            osp.join(folder, f'{index:05d}.png'), format='PNG')
    return count


def _read_meta(out_dir: str) -> Optional[dict]:
    try:
        with open(osp.join(out_dir, 'meta.json')) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def make_shapes_dataset(out_dir: str,
                        num_train: int = 1000,
                        num_val: int = 100,
                        size: int = 32,
                        seed: int = 0,
                        classes: Optional[Sequence[str]] = None,
                        max_rotation: float = MAX_ROTATION,
                        workers: int = 1,
                        force: bool = False,
                        verbose: bool = True,
                        style: str = 'flat') -> dict:
    """Write the shape dataset to ``out_dir`` unless it is already there.

    ``meta.json`` is written last and marks a complete folder: when it holds
    the same parameters, nothing is redone. Otherwise the images are written
    to a temporary sibling folder that replaces ``out_dir`` only once it is
    complete, so an interrupted run never leaves a half-written dataset
    under the final name.

    Args:
        out_dir (str): Destination folder.
        num_train (int): Training images per class.
        num_val (int): Validation images per class.
        size (int): Image side in pixels.
        seed (int): Seed of the whole dataset.
        classes (Sequence[str], optional): Subset of :data:`SHAPE_CLASSES`
            (at least two). Defaults to all of them.
        max_rotation (float): Rotation range in degrees either way (180 for
            any angle). Defaults to :data:`MAX_ROTATION`.
        workers (int): Processes drawing (split, class) folders in parallel.
        force (bool): Regenerate even if a matching dataset exists.
        verbose (bool): Print counts and time.
        style (str): ``'flat'`` (palette colours) or ``'textured'``
            (procedural textures in both regions); see the module docstring.

    Returns:
        dict: The content of ``meta.json``.
    """
    classes = sorted(set(classes or SHAPE_CLASSES))
    unknown = set(classes) - set(SHAPE_CLASSES)
    if unknown or len(classes) < 2:
        raise ValueError(f'classes must be at least two of {SHAPE_CLASSES}, '
                         f'got {classes}')
    if not 0 <= max_rotation <= 180:
        raise ValueError(f'max_rotation must be in [0, 180] degrees, got '
                         f'{max_rotation}')
    if min(num_train, num_val) < 0 or size < 8:
        raise ValueError('num_train and num_val must be >= 0 and size >= 8')
    if style not in STYLES:
        raise ValueError(f'style must be one of {STYLES}, got {style!r}')
    params = dict(
        num_train=num_train,
        num_val=num_val,
        size=size,
        seed=seed,
        classes=classes,
        max_rotation=max_rotation,
        style=style,
        version=GENERATOR_VERSION[style])
    out_dir = osp.abspath(out_dir)
    meta = _read_meta(out_dir)
    if not force and meta is not None and meta.get('params') == params:
        if verbose:
            print(f'{out_dir} is up to date ({meta["counts"]}); skipping.')
        return meta

    ours = {'meta.json', *SPLITS}
    if osp.isdir(out_dir) and not set(os.listdir(out_dir)) <= ours:
        # Replacing the folder deletes it: only ever delete our own output.
        raise FileExistsError(f'{out_dir} holds files other than a shape '
                              'dataset; choose another output folder')
    start = time.time()
    parent = osp.dirname(out_dir)
    os.makedirs(parent, exist_ok=True)
    tmp_dir = f'{out_dir}.tmp-{os.getpid()}'
    shutil.rmtree(tmp_dir, ignore_errors=True)
    counts = dict(train=num_train, val=num_val)
    jobs = [(tmp_dir, split, shape, counts[split], size, seed, max_rotation,
             style) for split in SPLITS for shape in classes]
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            written = sum(pool.map(_write_folder, jobs))
    else:
        written = sum(map(_write_folder, jobs))
    meta = dict(
        classes=classes,
        params=params,
        counts={split: counts[split] * len(classes)
                for split in SPLITS},
        layout='<split>/<class>/<index>.png; class index = position in '
        'classes (alphabetical, as CustomDataset sorts folders)')
    with open(osp.join(tmp_dir, 'meta.json'), 'w') as f:
        json.dump(meta, f, indent=2)

    old_dir = f'{out_dir}.old-{os.getpid()}'
    if osp.exists(out_dir):
        os.rename(out_dir, old_dir)
    try:
        os.rename(tmp_dir, out_dir)
    except OSError:
        # Another process finished first; keep its folder if it matches.
        shutil.rmtree(tmp_dir, ignore_errors=True)
        other = _read_meta(out_dir)
        if other is None or other.get('params') != params:
            raise
    shutil.rmtree(old_dir, ignore_errors=True)
    if verbose:
        print(f'Wrote {written} images ({meta["counts"]["train"]} train, '
              f'{meta["counts"]["val"]} val, {len(classes)} classes, '
              f'{size}px) to {out_dir} in {time.time() - start:.1f}s')
    return meta


__all__ = [
    'SHAPE_CLASSES', 'STYLES', 'TEXTURES', 'render_shape', 'shape_mask',
    'sample_rng', 'make_shapes_dataset'
]
