"""Procedural colour textures for the texture-controlled shape data.

Five families, each a map in [0, 1] that mixes two colours:

- ``grating``: a sinusoid, or its sign (stripes), of random period,
  orientation and phase;
- ``checks``: a smoothed checkerboard of random cell size and orientation;
- ``oriented_noise``: white noise band-passed around one frequency and one
  orientation (Gabor noise);
- ``pink_noise``: noise with a ``1 / f ** beta`` amplitude spectrum, the
  statistics of natural images (``beta`` near 1);
- ``dots``: discs of random radius scattered at random density.

The two colours of a texture are drawn independently and uniformly in hue,
over a broad range of saturation and value, so a texture's mean colour, its
contrast and its family are all nuisances. Every random choice comes from
the generator passed in; the module needs only NumPy.
"""
from functools import lru_cache
from typing import Tuple

import numpy as np

FAMILIES = ('grating', 'checks', 'oriented_noise', 'pink_noise', 'dots')
# Periods in pixels of the periodic and band-passed families: from about
# the Nyquist limit's double up to a quarter of a 32 px image.
PERIOD_RANGE = (3., 8.)
# How far a texture's second colour goes towards an independent random
# colour: 0 is flat, 1 two unrelated colours.
CONTRAST_RANGE = (.2, .6)


@lru_cache(maxsize=8)
def _coords(size: int) -> Tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates ``(x, y)``, each (size, size)."""
    coords = np.arange(size, dtype=np.float32) + .5
    return np.meshgrid(coords, coords)


@lru_cache(maxsize=8)
def _frequencies(size: int) -> Tuple[np.ndarray, np.ndarray]:
    """FFT frequencies (cycles per pixel) ``(fx, fy)``, each (size, size)."""
    f = np.fft.fftfreq(size).astype(np.float32)
    return np.meshgrid(f, f)


def _normalise(field: np.ndarray, gain: float = 1.5) -> np.ndarray:
    """Zero-mean, unit-variance ``field`` squashed into [0, 1]."""
    field = (field - field.mean()) / (field.std() + 1e-6)
    return 1. / (1. + np.exp(-gain * field))


def _filtered_noise(rng: np.random.Generator, size: int,
                    amplitude: np.ndarray) -> np.ndarray:
    """White noise shaped by the amplitude spectrum ``amplitude``."""
    spectrum = np.fft.fft2(rng.standard_normal((size, size)))
    return np.real(np.fft.ifft2(spectrum * amplitude)).astype(np.float32)


def texture_map(rng: np.random.Generator, family: str,
                size: int) -> Tuple[np.ndarray, dict]:
    """A (size, size) map in [0, 1] of texture ``family``.

    Args:
        rng (np.random.Generator): Source of every random choice.
        family (str): One of :data:`FAMILIES`.
        size (int): Side of the square map in pixels.

    Returns:
        tuple: The float32 map and the drawn parameters (``orientation`` in
        radians, ``period`` in pixels; NaN where the family has none).
    """
    x, y = _coords(size)
    orientation = rng.uniform(0, np.pi)
    period = rng.uniform(*PERIOD_RANGE)
    # u runs across the texture's orientation, v along it
    u = x * np.cos(orientation) + y * np.sin(orientation)
    v = -x * np.sin(orientation) + y * np.cos(orientation)
    params = dict(orientation=orientation, period=period)
    if family == 'grating':
        wave = np.sin(2 * np.pi * (u / period + rng.uniform()))
        if rng.random() < .5:  # square wave: stripes
            wave = np.sign(wave)
        mix = .5 + .5 * wave
    elif family == 'checks':
        phase_u, phase_v = rng.uniform(size=2)
        product = (
            np.sin(np.pi * (u / period + phase_u)) *
            np.sin(np.pi * (v / period + phase_v)))
        mix = .5 + .5 * np.tanh(4 * product)
    elif family == 'oriented_noise':
        fx, fy = _frequencies(size)
        centre = np.array([np.cos(orientation), np.sin(orientation)]) / period
        bandwidth = .3 / period
        # two lobes, at +centre and -centre, so that the noise is real
        lobes = sum(
            np.exp(-((fx - s * centre[0])**2 + (fy - s * centre[1])**2) /
                   (2 * bandwidth**2)) for s in (1, -1))
        mix = _normalise(_filtered_noise(rng, size, lobes))
    elif family == 'pink_noise':
        fx, fy = _frequencies(size)
        beta = rng.uniform(.8, 1.6)
        radius = np.maximum(np.hypot(fx, fy), 1. / size)
        mix = _normalise(_filtered_noise(rng, size, radius**-beta))
        params = dict(orientation=np.nan, period=np.nan, beta=beta)
    elif family == 'dots':
        dot_radius = rng.uniform(.8, 2.2)
        density = rng.uniform(.15, .4)  # share of the area the dots cover
        count = max(1, int(density * size * size / (np.pi * dot_radius**2)))
        centres = rng.uniform(-2, size + 2, size=(count, 2)).astype(np.float32)
        distance = np.sqrt((x[..., None] - centres[:, 0])**2 +
                           (y[..., None] - centres[:, 1])**2).min(-1)
        mix = np.clip(dot_radius + .5 - distance, 0, 1)  # anti-aliased edge
        params = dict(orientation=np.nan, period=2 * dot_radius)
    else:
        raise ValueError(f'Unknown texture family {family!r}; choose from '
                         f'{FAMILIES}')
    return mix.astype(np.float32), params


def random_colour(rng: np.random.Generator) -> np.ndarray:
    """An RGB colour (3, ), 0-255: uniform hue, saturation 0.1-0.9, value
    0.2-0.95."""
    hue, sat, val = rng.uniform(0, 6), rng.uniform(.1,
                                                   .9), rng.uniform(.2, .95)
    # HSV to RGB: the distance of each channel's hue sector from the hue
    channel = np.abs((hue + np.array([0., 4., 2.])) % 6 - 3) - 1
    rgb = val * (1 - sat * (1 - np.clip(channel, 0, 1)))
    return (255 * rgb).astype(np.float32)


def draw_texture(rng: np.random.Generator,
                 size: int) -> Tuple[np.ndarray, dict]:
    """A textured (size, size, 3) float32 RGB image, 0-255.

    Args:
        rng (np.random.Generator): Source of every random choice.
        size (int): Side of the square image in pixels.

    Returns:
        tuple: The image and its parameters: ``family``, the two colours
        (``colours``, (2, 3)), ``mean_colour`` and the family's own.
    """
    family = FAMILIES[rng.integers(len(FAMILIES))]
    mix, params = texture_map(rng, family, size)
    base = random_colour(rng)
    # The second colour lies part of the way to another random colour, so
    # that a texture's own contrast stays mostly below the contrast between
    # figure and background, as in most photographs.
    contrast = rng.uniform(*CONTRAST_RANGE)
    colours = np.stack([base, base + contrast * (random_colour(rng) - base)])
    image = colours[0] + (colours[1] - colours[0]) * mix[..., None]
    params.update(
        family=family,
        colours=colours,
        mean_colour=image.reshape(-1, 3).mean(0))
    return image, params


__all__ = ['FAMILIES', 'texture_map', 'random_colour', 'draw_texture']
