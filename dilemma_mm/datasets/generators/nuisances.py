"""The class-free properties (nuisances) of a generated shape image, as
labels: what ``tools/analysis_tools/shapes_shortcut_knn.py`` asks a
backbone's features to classify besides the shape.

Categorical nuisances are small integers; continuous ones are floats that
the tool splits at their training median (two classes). A property an
image does not have (the orientation of a dot texture) is NaN and that
image is left out of the property's score.
"""
import colorsys
from typing import Dict

import numpy as np

from .shapes import PALETTE, TEXTURES
from .textures import FAMILIES

# Continuous nuisances of each style; every other one is categorical.
CONTINUOUS = dict(
    flat=('radius', 'angle', 'center_x', 'light_falloff', 'noise_std'),
    textured=('radius', 'angle', 'center_x', 'light_falloff', 'noise_std',
              'fg_luminance', 'bg_luminance', 'fg_period', 'bg_period'))
# Hue bins of a region's mean colour (textured style): six sectors of 60
# degrees, red, yellow, green, cyan, blue, magenta.
HUE_BINS = 6


def _nearest_palette(colour) -> int:
    """Index of the palette colour that ``colour`` was jittered from."""
    return int(((PALETTE - np.asarray(colour))**2).sum(1).argmin())


def _hue_bin(colour) -> int:
    hue = colorsys.rgb_to_hsv(*(np.asarray(colour) / 255.))[0]
    return int(hue * HUE_BINS) % HUE_BINS


def _orientation_bin(orientation: float) -> float:
    """Four bins of 45 degrees; NaN for textures without an orientation."""
    if np.isnan(orientation):
        return np.nan
    return float(int(orientation / (np.pi / 4)) % 4)


def nuisance_labels(params: dict, style: str) -> Dict[str, float]:
    """The nuisances of one image from the parameters ``render_shape``
    returned for it.

    Args:
        params (dict): ``render_shape(..., return_params=True)[1]``.
        style (str): The style it was drawn in, ``'flat'`` or
            ``'textured'``.

    Returns:
        dict: Property name -> value; the names in ``CONTINUOUS[style]``
        are continuous, the others categorical.
    """
    labels = dict(
        center_x=params['center'][0],
        radius=params['radius'],
        angle=params['angle'],
        light_falloff=params['light_falloff'],
        noise_std=params['noise_std'])
    if style == 'flat':
        labels.update(
            fg_colour=_nearest_palette(params['fg_colour']),
            bg_colour=_nearest_palette(params['bg_colour']),
            fg_texture=TEXTURES.index(params['fg_texture']),
            bg_texture=TEXTURES.index(params['bg_texture']))
        return labels
    for region in ('fg', 'bg'):
        mean_colour = params[f'{region}_mean_colour']
        labels.update({
            f'{region}_family':
            FAMILIES.index(params[f'{region}_family']),
            f'{region}_hue':
            _hue_bin(mean_colour),
            f'{region}_luminance':
            float(np.dot(mean_colour, [.299, .587, .114])),
            f'{region}_orientation':
            _orientation_bin(params[f'{region}_orientation']),
            f'{region}_period':
            params[f'{region}_period'],
        })
    # the side the light comes from, in four quadrants
    labels['light_direction'] = int(params['light_direction'] /
                                    (np.pi / 2)) % 4
    return labels


__all__ = ['CONTINUOUS', 'nuisance_labels']
