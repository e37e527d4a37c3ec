from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn as nn
from mmpretrain.structures import DataSample

from dilemma_mm.evaluation.detection_metrics import (average_precision,
                                                     binary_auc)
from dilemma_mm.registry import MODELS
from .view_groups import group_by_size, split_views

# (patch tokens (B, K, C), keep (B, K), pos (B, K)) of one corrupted view
CorruptedView = Tuple[torch.Tensor, torch.Tensor, torch.Tensor]


def _too_few_views(num_views: int, view: int) -> IndexError:
    held = 'one view' if num_views == 1 else f'{num_views} views'
    return IndexError(f'`keep`/`pos` hold {held}, not {view + 1}.')


class TokenLayout(NamedTuple):
    """The sparse, misplaced token layout of one view, batched on the
    model's device."""
    keep: torch.Tensor  # (B, K) grid indices of the encoded patches
    pos: torch.Tensor  # (B, K) positions whose embeddings they receive
    grid: Optional[Tuple[int, int]]  # the (rows, cols) they index, if known


class MisplacementBranchMixin:
    """The DILEMMA branch shared by every algorithm wrapper.

    Implementation of `DILEMMA: Self-Supervised Shape and Texture Learning
    with Transformers <https://arxiv.org/abs/2204.04788>`_.

    Mix it in before a :class:`BaseSelfSupervisor` whose ``backbone`` is a
    :class:`DilemmaViT` (``class DilemmaX(MisplacementBranchMixin, X)``):
    the wrapper takes X's arguments plus ``misplacement_head`` and builds
    the head after X's modules. Encode each corrupted view with
    :meth:`forward_corrupted` and add :meth:`misplacement_loss` to the loss
    dict; the wrapper overrides only what X encodes.

    ``keep`` and ``pos`` travel from ``TokenDropTransform`` through
    ``PackInputs(algorithm_keys=['keep', 'pos'])`` as data fields of each
    ``DataSample``: a list of int64 arrays (K_v, ), one per view, or one
    array for a single-view pipeline. :meth:`collate_token_layouts` stacks
    them per view over the batch (the samples of a batch must share each
    view's size, hence ``K_v``), checks them on the host against the grid
    they carry and moves all views to the device in one transfer; a
    wrapper calls it once per batch and hands the layouts on. Samples
    without them are encoded densely and uncorrupted. Views of one size
    share a backbone pass (``forward_corrupted(cat(views), data_samples,
    [i, j, ...], layouts)``); the loss still weighs every view alike.
    """

    def __init__(self,
                 *args,
                 misplacement_head: Optional[Union[dict, nn.Module]] = None,
                 **kwargs) -> None:
        """X's arguments, then ``misplacement_head``: the config of the
        :class:`MisplacementHead` (``in_channels`` defaults to the backbone
        width), None for a linear head."""
        super().__init__(*args, **kwargs)
        self.init_misplacement_head(misplacement_head)

    def init_misplacement_head(
            self, misplacement_head: Optional[Union[dict, nn.Module]]) -> None:
        """Build ``self.misplacement_head``; ``in_channels`` defaults to the
        backbone width and the type to ``MisplacementHead``."""
        if not isinstance(misplacement_head, nn.Module):
            cfg = dict(misplacement_head or {})
            cfg.setdefault('type', 'dilemma_mm.MisplacementHead')
            cfg.setdefault('in_channels', self.backbone.embed_dims)
            misplacement_head = MODELS.build(cfg)
        self.misplacement_head = misplacement_head

    @staticmethod
    @torch.compiler.disable
    def collate_token_layouts(
            data_samples: Optional[List[DataSample]],
            device: Union[str, torch.device]) -> Optional[List[TokenLayout]]:
        """``keep``/``pos`` of every view, checked on the host and moved to
        ``device`` in one transfer; None when the samples do not carry them.

        Per view the samples' int64 arrays are stacked into (B, K_v). When
        they carry their ``grid`` (``GridIndices`` from
        ``TokenDropTransform``), the samples must agree on it and the
        values are range-checked here, on the host, so the backbone only
        compares grids and never reads indices back from the device. All
        views then travel as one flat int64 buffer (pinned and
        ``non_blocking`` to a GPU) and are split into views of it there.

        Args:
            data_samples (list[DataSample], optional): Carry ``keep`` and
                ``pos``: one array per sample, or a list of them per view.
            device (str | torch.device): Where the model runs.

        Returns:
            list[TokenLayout] | None: One layout per view.
        """
        if not data_samples or not all('keep' in sample and 'pos' in sample
                                       for sample in data_samples):
            return None

        def per_view(value) -> list:
            return list(value) if isinstance(value, (list, tuple)) else [value]

        keep = [per_view(sample.keep) for sample in data_samples]
        pos = [per_view(sample.pos) for sample in data_samples]
        num_views = len(keep[0])
        if any(len(views) != num_views for views in keep + pos):
            raise ValueError('The samples of a batch carry `keep`/`pos` for '
                             'different numbers of views.')
        host, grids = [], []  # (keep, pos) (B, K_v) int64 arrays per view
        for view in range(num_views):
            arrays = [[sample[view] for sample in key] for key in (keep, pos)]
            grid_set = {
                getattr(array, 'grid', None)
                for key in arrays
                for array in key
            }
            if len(grid_set) > 1:
                raise ValueError(f'View {view}: the samples\' `keep`/`pos` '
                                 f'were drawn for different grids '
                                 f'{sorted(map(str, grid_set))}.')
            grid = grid_set.pop()
            view_keep, view_pos = (np.stack(
                [np.asarray(a, dtype=np.int64) for a in key])
                                   for key in arrays)  # (B, K_v) each
            if view_keep.shape != view_pos.shape:
                raise ValueError(f'View {view}: `keep` {view_keep.shape} and '
                                 f'`pos` {view_pos.shape} differ in shape.')
            if grid is not None and view_keep.size:
                num_tokens = grid[0] * grid[1]
                for name, idx in (('keep', view_keep), ('pos', view_pos)):
                    if idx.min() < 0 or idx.max() >= num_tokens:
                        raise IndexError(
                            f'View {view}: `{name}` holds indices outside '
                            f'its {grid[0]}x{grid[1]} patch grid.')
            host.append((view_keep, view_pos))
            grids.append(grid)

        flat = torch.from_numpy(
            np.concatenate([a.ravel() for pair in host for a in pair]))
        device = torch.device(device)
        if device.type == 'cuda':
            flat = flat.pin_memory()
        flat = flat.to(device, non_blocking=True)  # the one transfer
        chunks = iter(flat.split([a.size for pair in host for a in pair]))
        return [
            TokenLayout(
                next(chunks).view(view_keep.shape),
                next(chunks).view(view_pos.shape), grid)
            for (view_keep, view_pos), grid in zip(host, grids)
        ]

    @classmethod
    def read_keep_pos(
        cls, data_samples: Optional[List[DataSample]], view: int,
        device: Union[str, torch.device]
    ) -> Tuple[Optional[torch.Tensor], Optional[torch.Tensor]]:
        """``keep`` and ``pos`` of one view as LongTensors (B, K), or
        ``(None, None)`` when the data samples do not carry them."""
        layouts = cls.collate_token_layouts(data_samples, device)
        if layouts is None:
            return None, None
        if view >= len(layouts):
            raise _too_few_views(len(layouts), view)
        return layouts[view].keep, layouts[view].pos

    def forward_corrupted(
        self,
        img: torch.Tensor,
        data_samples: Optional[List[DataSample]],
        view: Union[int, Sequence[int]],
        layouts: Optional[Sequence[TokenLayout]] = None
    ) -> Tuple[Tuple[torch.Tensor, ...], CorruptedView]:
        """Encode view ``view`` sparsely at its (misplaced) positions.

        Several views of one size (hence one ``K``) go through the backbone
        in one pass: give their indices as ``view`` and their images
        concatenated along the batch, view after view.

        Args:
            img (torch.Tensor): The view's images, (B, C_in, H, W), or the
                concatenated views, (n_views * B, C_in, H, W).
            data_samples (list[DataSample], optional): Carry ``keep``/``pos``.
            view (int | Sequence[int]): Index of the view in ``keep``/``pos``,
                or the indices of the concatenated views.
            layouts (Sequence[TokenLayout], optional): The layouts of
                :meth:`collate_token_layouts`, collated once per batch by
                the caller. Defaults to None: collate ``data_samples`` here.

        Returns:
            tuple: The backbone outputs (as its ``out_type`` says, e.g. the
            class token (B, C)) and ``(patch_tokens, keep, pos)`` for
            :meth:`misplacement_loss`.
        """
        views = [view] if isinstance(view, int) else list(view)
        if layouts is None:
            layouts = self.collate_token_layouts(data_samples, img.device)
        keep = pos = grid = None
        if layouts is not None:
            if max(views) >= len(layouts):
                raise _too_few_views(len(layouts), max(views))
            grids = {layouts[index].grid for index in views}
            if len(grids) > 1:
                raise ValueError(f'Views {views} share a pass but were drawn '
                                 f'for different grids {grids}.')
            grid = grids.pop()
            keep = torch.cat([layouts[index].keep for index in views])
            pos = torch.cat([layouts[index].pos for index in views])
        outs, patch_tokens = self.backbone.forward_with_patch_tokens(
            img, keep, pos, grid)  # patch_tokens: (n_views * B, K, C)
        if keep is None:  # dense and uncorrupted: nothing misplaced
            keep = torch.arange(
                patch_tokens.shape[1],
                device=img.device).expand(img.shape[0], -1)  # (B, L)
            pos = keep
        return outs, (patch_tokens, keep, pos)

    def forward_corrupted_views(
        self, views: Sequence[torch.Tensor],
        data_samples: Optional[List[DataSample]],
        layouts: Optional[Sequence[TokenLayout]]
    ) -> Tuple[List[tuple], List[CorruptedView]]:
        """Encode every view sparsely, views of one size in one pass.

        Args:
            views (Sequence[torch.Tensor]): The views, (B, C_in, H_v, W_v)
                each, in the order of ``keep``/``pos``.
            data_samples (list[DataSample], optional): Carry ``keep``/``pos``.
            layouts (Sequence[TokenLayout], optional): Their collated form
                (:meth:`collate_token_layouts`).

        Returns:
            tuple: The backbone outputs of each view, split from the passes,
            and one :data:`CorruptedView` per pass for
            :meth:`misplacement_loss`.
        """
        outs_per_view: List[tuple] = []
        corrupted: List[CorruptedView] = []
        for group in group_by_size(views):
            outs, group_corrupted = self.forward_corrupted(
                torch.cat([views[i] for i in group]), data_samples, group,
                layouts)  # (n * B, ...) outputs, (n * B, K_v, C) tokens
            outs_per_view += split_views(outs, len(group))
            corrupted.append(group_corrupted)
        return outs_per_view, corrupted

    @staticmethod
    def forward_dense_views(backbone: nn.Module,
                            views: Sequence[torch.Tensor]) -> List[tuple]:
        """Clean, dense outputs of ``backbone`` for every view, views of one
        size in one pass, split back into one tuple per view."""
        outs_per_view: List[tuple] = []
        for group in group_by_size(views):
            outs = backbone(torch.cat([views[i] for i in group]))
            outs_per_view += split_views(outs, len(group))
        return outs_per_view

    def misplacement_loss(
            self,
            corrupted: Sequence[CorruptedView]) -> Dict[str, torch.Tensor]:
        """``loss_dilemma`` and ``acc_dilemma`` averaged over the views;
        ``auc_dilemma`` and ``ap_dilemma`` over all their tokens at once.

        An entry holding ``n`` concatenated views (see
        :meth:`forward_corrupted`) counts ``n`` times: entries are weighted
        by their number of samples, so every view of the batch weighs the
        same."""
        # One entry ranks its own tokens; several are ranked together below.
        single = len(corrupted) == 1
        per_entry = [
            self.misplacement_head.loss(*view, with_ranking=single)
            for view in corrupted
        ]
        num_samples = [view[0].shape[0] for view in corrupted]
        total = sum(num_samples)
        results = {
            key:
            sum(n * losses[key]
                for n, losses in zip(num_samples, per_entry)) / total
            for key in per_entry[0]
        }
        if not single:
            # Rankings do not average: score every token of the batch
            # together, so the figures do not depend on how views were
            # grouped into backbone passes.
            with torch.no_grad():
                logits = torch.cat([
                    self.misplacement_head(tokens).flatten()
                    for tokens, _, _ in corrupted
                ])
                target = torch.cat([(pos != keep).flatten()
                                    for _, keep, pos in corrupted])
            results.update(
                auc_dilemma=binary_auc(logits, target),
                ap_dilemma=average_precision(logits, target))
        return results
