from typing import List, Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform

from dilemma_mm.registry import TRANSFORMS


class GridIndices(np.ndarray):
    """Int64 patch-grid indices (K, ) that carry the ``grid`` they index.

    ``grid`` is the ``(rows, cols)`` patch grid the indices were drawn for;
    it survives slicing, copies and pickling (the trip from a data loader
    worker), so collation can refuse indices drawn for a grid other than
    the backbone's (a pipeline with another patch size) on the host, before
    any tensor reaches the device. Otherwise a plain ``np.ndarray``.

    Args:
        indices (array-like): Row-major grid indices, (K, ).
        grid (tuple[int, int]): The ``(rows, cols)`` grid they index.
    """

    def __new__(cls, indices, grid: Tuple[int, int]) -> 'GridIndices':
        obj = np.asarray(indices, dtype=np.int64).view(cls)
        obj.grid = (int(grid[0]), int(grid[1]))
        return obj

    def __array_finalize__(self, obj) -> None:
        self.grid = getattr(obj, 'grid', None)

    def __reduce__(self):
        constructor, args, state = super().__reduce__()
        return constructor, args, (state, self.grid)

    def __setstate__(self, state) -> None:
        ndarray_state, self.grid = state
        super().__setstate__(ndarray_state)


@TRANSFORMS.register_module()
class TokenDropTransform(BaseTransform):
    """Draw the sparse, misplaced token layout of DILEMMA for every view.

    For a view whose patch grid has ``L = (H / p_h) * (W / p_w)`` cells, keep
    a uniformly random subset of ``K = int(L * (1 - drop_ratio))`` cells and
    mark each kept cell misplaced with probability ``misplace_prob``. A
    misplaced token receives the position embedding of a wrong position:
    one of the dropped positions, drawn without replacement while any are
    free (so no two kept tokens share a position), otherwise any position
    but its own, uniformly. A token never receives its own position when
    misplaced, so ``pos != keep`` is exactly the misplacement target.

    Randomness comes from NumPy's global generator, like the other mmcv
    transforms, so ``mmengine``'s seeding makes the masks reproducible.

    **Required Keys:**

    - img (np.ndarray | list[np.ndarray]): one HWC image, or a list of them
      (one per view, e.g. after ``MultiView``); each view gets its own grid.

    **Added Keys:**

    - keep (GridIndices | list[GridIndices]): int64, shape (K, ), the grid
      indices (row-major) of the patches entering the encoder, sorted
      ascending and unique. A list with one array per view for list input.
      Each array also carries its view's ``grid`` (rows, cols), which
      collation compares with the backbone's.
    - pos (GridIndices | list[GridIndices]): int64, shape (K, ), the grid
      positions whose embeddings those patches receive, in the order of
      ``keep``; ``pos[i] != keep[i]`` marks token ``i`` misplaced.

    Pack both with ``PackInputs(algorithm_keys=['keep', 'pos'])``; the
    algorithms read them per view from ``data_samples[i].keep`` /
    ``.pos`` (see ``MisplacementBranchMixin``).

    Args:
        drop_ratio (float): Fraction of the patches dropped, in [0, 1).
            Defaults to 0.75.
        misplace_prob (float): Probability that a kept patch is misplaced,
            in [0, 1). Defaults to 0.2.
        patch_size (int | Sequence[int]): Patch size of the backbone, as
            ``p`` or ``(p_h, p_w)``. Defaults to 16.
    """

    def __init__(self,
                 drop_ratio: float = 0.75,
                 misplace_prob: float = 0.2,
                 patch_size: Union[int, Sequence[int]] = 16) -> None:
        for name, value in (('drop_ratio', drop_ratio), ('misplace_prob',
                                                         misplace_prob)):
            if not 0 <= value < 1:
                raise ValueError(f'{name} must be in [0, 1), got {value}.')
        if isinstance(patch_size, int):
            patch_size = (patch_size, patch_size)
        if len(patch_size) != 2 or min(patch_size) < 1:
            raise ValueError(f'Invalid patch_size {patch_size}.')
        self.drop_ratio = drop_ratio
        self.misplace_prob = misplace_prob
        self.patch_size = tuple(patch_size)

    def grid(self, img: np.ndarray) -> Tuple[int, int]:
        """The patch grid ``(rows, cols)`` of one HWC view."""
        (h, w), (p_h, p_w) = img.shape[:2], self.patch_size
        if h % p_h or w % p_w:
            raise ValueError(f'Image size {(h, w)} is not a multiple of the '
                             f'patch size {self.patch_size}.')
        return h // p_h, w // p_w

    def num_tokens(self, img: np.ndarray) -> int:
        """The number of grid cells ``L`` of one HWC view."""
        rows, cols = self.grid(img)
        return rows * cols

    def sample_view(self, img: np.ndarray) -> Tuple[GridIndices, GridIndices]:
        """Draw ``(keep, pos)`` for one view; both carry its grid."""
        grid = self.grid(img)
        keep_idx, pos_idx = self.sample(grid[0] * grid[1])
        return GridIndices(keep_idx, grid), GridIndices(pos_idx, grid)

    def sample(self, num_tokens: int) -> Tuple[np.ndarray, np.ndarray]:
        """Draw ``(keep, pos)`` for a grid of ``num_tokens`` cells."""
        num_keep = int(num_tokens * (1 - self.drop_ratio))
        if num_keep < 1:
            raise ValueError(f'drop_ratio {self.drop_ratio} leaves no token '
                             f'of {num_tokens}.')
        if num_tokens < 2 and self.misplace_prob > 0:
            raise ValueError('Misplacement needs at least 2 positions.')
        shuffle = np.random.permutation(num_tokens)
        keep_idx = np.sort(shuffle[:num_keep])  # (K, )
        free_pos = shuffle[num_keep:]  # dropped positions, random order
        pos_idx = keep_idx.copy()  # (K, )
        is_misplaced = np.random.rand(num_keep) < self.misplace_prob
        misplaced = np.flatnonzero(is_misplaced)  # indices into keep_idx
        # wrong positions from the free ones, without replacement
        num_free = min(len(misplaced), len(free_pos))
        pos_idx[misplaced[:num_free]] = free_pos[:num_free]
        # none free left: any position but the token's own, uniformly
        rest = misplaced[num_free:]
        shift = np.random.randint(1, num_tokens, size=len(rest))
        pos_idx[rest] = (keep_idx[rest] + shift) % num_tokens
        return keep_idx.astype(np.int64), pos_idx.astype(np.int64)

    def transform(self, results: dict) -> dict:
        """Add ``keep`` and ``pos`` for the view(s) in ``results['img']``."""
        img = results['img']
        if isinstance(img, list):
            masks: List[Tuple[GridIndices, GridIndices]] = [
                self.sample_view(view) for view in img
            ]
            results['keep'] = [keep_idx for keep_idx, _ in masks]
            results['pos'] = [pos_idx for _, pos_idx in masks]
        else:
            results['keep'], results['pos'] = self.sample_view(img)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(drop_ratio={self.drop_ratio}, '
                f'misplace_prob={self.misplace_prob}, '
                f'patch_size={self.patch_size})')
