from typing import List, Tuple

from mmpretrain.datasets.transforms import MultiView

from dilemma_mm.registry import TRANSFORMS


@TRANSFORMS.register_module()
class DINOMultiCrop(MultiView):
    """DINO's multi-crop augmentation: 2 global crops and N local crops.

    Each crop is a random resized crop (bicubic) followed by DINO's flip and
    colour distortion (horizontal flip, colour jitter 0.4/0.4/0.2/0.1 with
    probability 0.8, grayscale with probability 0.2) and its own blur and
    solarisation, as in DINO's ``DataAugmentationDINO``:

    - global crop 1: Gaussian blur (sigma in [0.1, 2]) always;
    - global crop 2: blur with probability 0.1, solarisation with 0.2;
    - local crops: blur with probability 0.5.

    ``results['img']`` becomes the list ``[global_1, global_2, local_1, ...,
    local_N]`` (HWC uint8 arrays), as :class:`MultiView` writes it; normalise
    with the data preprocessor. Put ``TokenDropTransform`` after it to give
    every crop its own sparse layout on its own patch grid.

    Args:
        global_crop_size (int): Side of the global crops. Defaults to 224.
        local_crop_size (int): Side of the local crops. Defaults to 96.
        num_local_crops (int): Number of local crops. Defaults to 8.
        global_crop_scale (tuple[float, float]): Area range of the global
            crops relative to the image. Defaults to (0.4, 1.0).
        local_crop_scale (tuple[float, float]): Area range of the local
            crops. Defaults to (0.05, 0.4).
        backend (str): Resize backend of the crops. Defaults to 'pillow'.
    """

    def __init__(self,
                 global_crop_size: int = 224,
                 local_crop_size: int = 96,
                 num_local_crops: int = 8,
                 global_crop_scale: Tuple[float, float] = (0.4, 1.0),
                 local_crop_scale: Tuple[float, float] = (0.05, 0.4),
                 backend: str = 'pillow') -> None:
        if num_local_crops < 0:
            raise ValueError('num_local_crops must be >= 0, got '
                             f'{num_local_crops}.')

        def crop(size: int, scale: Tuple[float, float]) -> List[dict]:
            return [
                dict(
                    type='mmpretrain.RandomResizedCrop',
                    scale=size,
                    crop_ratio_range=tuple(scale),
                    interpolation='bicubic',
                    backend=backend),
                dict(type='mmpretrain.RandomFlip', prob=0.5),
                dict(
                    type='mmpretrain.RandomApply',
                    transforms=[
                        dict(
                            type='mmpretrain.ColorJitter',
                            brightness=0.4,
                            contrast=0.4,
                            saturation=0.2,
                            hue=0.1)
                    ],
                    prob=0.8),
                dict(
                    type='mmpretrain.RandomGrayscale',
                    prob=0.2,
                    keep_channels=True,
                    channel_weights=(0.114, 0.587, 0.2989)),
            ]

        def blur(prob: float) -> dict:
            return dict(
                type='mmpretrain.GaussianBlur',
                magnitude_range=(0.1, 2.0),
                magnitude_std='inf',
                prob=prob)

        global_1 = crop(global_crop_size, global_crop_scale) + [blur(1.0)]
        global_2 = crop(global_crop_size, global_crop_scale) + [
            blur(0.1),
            dict(type='mmpretrain.Solarize', thr=128, prob=0.2)
        ]
        local = crop(local_crop_size, local_crop_scale) + [blur(0.5)]
        transforms, num_views = [global_1, global_2], [1, 1]
        if num_local_crops:
            transforms.append(local)
            num_views.append(num_local_crops)
        super().__init__(transforms=transforms, num_views=num_views)
        self.global_crop_size = global_crop_size
        self.local_crop_size = local_crop_size
        self.num_local_crops = num_local_crops

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(global_crop_size='
                f'{self.global_crop_size}, local_crop_size='
                f'{self.local_crop_size}, num_local_crops='
                f'{self.num_local_crops})')
