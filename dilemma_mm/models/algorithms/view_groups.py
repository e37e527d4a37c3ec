from typing import List, Sequence

import torch


def group_by_size(views: Sequence[torch.Tensor]) -> List[List[int]]:
    """The groups: indices of consecutive views of the same shape, each
    group encoded in one pass, e.g. ``[[0, 1], [2, ..., 9]]`` for 2 global
    and 8 local views."""
    groups: List[List[int]] = []
    for index, view in enumerate(views):
        if groups and views[groups[-1][0]].shape == view.shape:
            groups[-1].append(index)
        else:
            groups.append([index])
    return groups


def split_views(outs: Sequence[torch.Tensor], num_views: int) -> List[tuple]:
    """Split the outputs of one pass over a group of ``num_views`` views,
    (num_views * B, ...) each, into one tuple of (B, ...) outputs per view."""
    per_output = [out.chunk(num_views) for out in outs]
    return [
        tuple(chunks[i] for chunks in per_output) for i in range(num_views)
    ]
