from typing import List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
from mmpretrain.structures import DataSample


class TokenLayout(NamedTuple):
    """Which patches of a view enter the encoder and at which positions,
    batched on the model's device: the one carrier of ``keep``/``pos``
    from collation to the misplacement loss."""
    keep: torch.Tensor  # (B, K) grid indices of the encoded patches
    pos: torch.Tensor  # (B, K) positions whose embeddings they receive


@torch.compiler.disable
def collate_token_layouts(
        data_samples: Optional[List[DataSample]],
        views: Sequence[torch.Tensor],
        backbone: nn.Module,
        indices: Optional[Sequence[int]] = None
) -> Optional[List[TokenLayout]]:
    """``keep``/``pos`` of ``views``, checked and stacked on the host and
    moved to their device in one transfer; None when the samples do not
    carry them.

    The one place ``keep``/``pos`` are validated, against the patch grid
    ``backbone`` cuts each view into: the backbone then gathers with them
    unchecked, so a training step reads nothing back from the device.

    Args:
        data_samples (list[DataSample], optional): Carry ``keep`` and
            ``pos`` (``TokenDropTransform``): a list with one array per
            view, or one array.
        views (Sequence[torch.Tensor]): The images of the views to collate,
            (B, C_in, H_v, W_v) each.
        backbone (nn.Module): The :class:`DilemmaViT` that encodes them.
        indices (Sequence[int], optional): The index of each of ``views``
            in ``keep``/``pos``. Defaults to 0, 1, ...

    Returns:
        list[TokenLayout] | None: One layout per view of ``views``, (B,
        K_v) each.
    """
    if not data_samples or not all('keep' in sample and 'pos' in sample
                                   for sample in data_samples):
        return None
    indices = list(range(len(views)) if indices is None else indices)

    def per_view(value) -> list:
        return list(value) if isinstance(value, (list, tuple)) else [value]

    keep = [per_view(sample.keep) for sample in data_samples]
    pos = [per_view(sample.pos) for sample in data_samples]
    num_views = len(keep[0])
    if any(len(sample_views) != num_views for sample_views in keep + pos):
        raise ValueError('The samples of a batch carry `keep`/`pos` for '
                         'different numbers of views.')
    if max(indices) >= num_views:
        held = 'one view' if num_views == 1 else f'{num_views} views'
        raise IndexError(f'`keep`/`pos` hold {held}, not {max(indices) + 1}.')
    host = []  # per view: keep and pos, (B, K_v) int64 arrays
    for index, view in zip(indices, views):
        grid = backbone.patch_grid(view.shape[-2:])
        view_keep = _check_view_indices('keep',
                                        [arrays[index] for arrays in keep],
                                        index, grid, backbone)
        view_pos = _check_view_indices('pos',
                                       [arrays[index] for arrays in pos],
                                       index, grid, backbone)
        if view_keep.shape != view_pos.shape:
            raise ValueError(f'View {index}: `keep` {view_keep.shape} and '
                             f'`pos` {view_pos.shape} must have the same '
                             'shape.')
        host += [view_keep, view_pos]

    device = views[0].device
    flat = torch.from_numpy(np.concatenate([a.ravel() for a in host]))
    if device.type == 'cuda':
        flat = flat.pin_memory()
    flat = flat.to(device, non_blocking=True)  # the one transfer
    chunks = [
        chunk.view(a.shape)
        for chunk, a in zip(flat.split([a.size for a in host]), host)
    ]
    return [TokenLayout(*pair) for pair in zip(chunks[::2], chunks[1::2])]


def _check_view_indices(name: str, arrays: list, view: int, grid: Tuple[int,
                                                                        int],
                        backbone: nn.Module) -> np.ndarray:
    """The samples' ``name`` arrays of one view, (K, ) each, stacked into
    (B, K) int64 once checked against the view's patch ``grid``."""
    rows, cols = grid
    drawn = {getattr(array, 'grid', None) for array in arrays}
    drawn -= {None, (rows, cols)}
    if drawn:  # the pipeline cut this view with another patch size
        drawn_rows, drawn_cols = drawn.pop()
        patch_size = backbone.patch_embed.projection.kernel_size
        raise ValueError(
            f'View {view}: `keep`/`pos` were drawn for a {drawn_rows}x'
            f'{drawn_cols} patch grid, but this backbone (patch size '
            f'{patch_size}) cuts the view into a {rows}x{cols} grid. Give '
            'TokenDropTransform the patch_size of the backbone.')
    arrays = [np.asarray(array) for array in arrays]
    for array in arrays:
        if array.dtype.kind not in 'iu':
            raise TypeError(f'View {view}: `{name}` must hold integer grid '
                            f'indices, got {array.dtype}.')
    shapes = sorted({array.shape for array in arrays})
    if len(shapes) > 1 or len(shapes[0]) != 1:
        raise ValueError(
            f'View {view}: `{name}` must be one array of shape (K, ) per '
            f'sample, the same K in every sample, got shapes {shapes}.')
    indices = np.stack(arrays).astype(np.int64)  # (B, K)
    if indices.size and (indices.min() < 0 or indices.max() >= rows * cols):
        raise IndexError(f'View {view}: `{name}` holds indices outside its '
                         f'{rows}x{cols} patch grid [0, {rows * cols}).')
    return indices
