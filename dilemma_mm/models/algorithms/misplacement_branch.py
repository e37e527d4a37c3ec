from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn as nn
from mmpretrain.structures import DataSample

from dilemma_mm.evaluation.detection_metrics import (average_precision,
                                                     binary_auc)
from dilemma_mm.registry import MODELS
from .view_groups import group_by_size, split_views


class TokenLayout(NamedTuple):
    """Which patches of a view enter the encoder and at which positions,
    batched on the model's device: the one carrier of ``keep``/``pos``
    from collation to the misplacement loss."""
    keep: torch.Tensor  # (B, K) grid indices of the encoded patches
    pos: torch.Tensor  # (B, K) positions whose embeddings they receive


class MisplacementBranchMixin:
    """The DILEMMA branch shared by every algorithm wrapper.

    Implementation of `DILEMMA: Self-Supervised Shape and Texture Learning
    with Transformers <https://arxiv.org/abs/2204.04788>`_.

    Mix it in before a :class:`BaseSelfSupervisor` whose ``backbone`` is a
    :class:`DilemmaViT` (``class DilemmaX(MisplacementBranchMixin, X)``):
    the wrapper takes X's arguments plus ``misplacement_head`` and builds
    the head after X's modules. Encode the corrupted views with
    :meth:`forward_corrupted_views` (or one pass with
    :meth:`forward_corrupted`) and add :meth:`misplacement_loss` to the loss
    dict; the wrapper overrides only what X encodes.

    ``keep`` and ``pos`` come from ``TokenDropTransform`` through
    ``PackInputs(algorithm_keys=['keep', 'pos'])``: per sample, one int
    array (K_v, ) per view, or one array for a single view. They are
    collated once per batch (:meth:`collate_token_layouts`: checked on the
    host, one transfer); samples without them are encoded densely and
    uncorrupted. Views of one size share a backbone pass; the loss still
    weighs every view alike.
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

    @torch.compiler.disable
    def collate_token_layouts(
        self,
        data_samples: Optional[List[DataSample]],
        views: Sequence[torch.Tensor],
        indices: Optional[Sequence[int]] = None
    ) -> Optional[List[TokenLayout]]:
        """``keep``/``pos`` of ``views``, checked and stacked on the host and
        moved to their device in one transfer; None when the samples do not
        carry them.

        The one place ``keep``/``pos`` are validated: against each view's
        patch grid, before the backbone gathers with them unchecked, so a
        training step reads nothing back from the device. Per view the
        samples' int arrays (K_v, ) are stacked into (B, K_v) (the samples
        of a batch share each view's size, hence ``K_v``), and all views
        travel as one flat int64 buffer (pinned and ``non_blocking`` to a
        GPU), split into views of it there.

        Args:
            data_samples (list[DataSample], optional): Carry ``keep`` and
                ``pos``: a list with one array per view, or one array.
            views (Sequence[torch.Tensor]): The images of the views to
                collate, (B, C_in, H_v, W_v) each.
            indices (Sequence[int], optional): The index of each of
                ``views`` in ``keep``/``pos``. Defaults to 0, 1, ...

        Returns:
            list[TokenLayout] | None: One layout per view of ``views``.
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
            raise IndexError(f'`keep`/`pos` hold {held}, not '
                             f'{max(indices) + 1}.')
        host = []  # per view: keep and pos, (B, K_v) int64 arrays
        for index, view in zip(indices, views):
            grid = self.backbone.patch_grid(view.shape[-2:])
            view_keep = self._check_view_indices(
                'keep', [arrays[index] for arrays in keep], index, grid)
            view_pos = self._check_view_indices(
                'pos', [arrays[index] for arrays in pos], index, grid)
            if view_keep.shape != view_pos.shape:
                raise ValueError(
                    f'View {index}: `keep` {view_keep.shape} and `pos` '
                    f'{view_pos.shape} must have the same shape.')
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

    def _check_view_indices(self, name: str, arrays: list, view: int,
                            grid: Tuple[int, int]) -> np.ndarray:
        """The samples' ``name`` arrays of one view, (K, ) each, stacked into
        (B, K) int64 once checked against the view's patch ``grid``."""
        rows, cols = grid
        drawn = {getattr(array, 'grid', None) for array in arrays}
        drawn -= {None, (rows, cols)}
        if drawn:  # the pipeline cut this view with another patch size
            drawn_rows, drawn_cols = drawn.pop()
            patch_size = self.backbone.patch_embed.projection.kernel_size
            raise ValueError(
                f'View {view}: `keep`/`pos` were drawn for a {drawn_rows}x'
                f'{drawn_cols} patch grid, but this backbone (patch size '
                f'{patch_size}) cuts the view into a {rows}x{cols} grid. '
                'Give TokenDropTransform the patch_size of the backbone.')
        arrays = [np.asarray(array) for array in arrays]
        for array in arrays:
            if array.dtype.kind not in 'iu':
                raise TypeError(f'View {view}: `{name}` must hold integer '
                                f'grid indices, got {array.dtype}.')
        shapes = sorted({array.shape for array in arrays})
        if len(shapes) > 1 or len(shapes[0]) != 1:
            raise ValueError(
                f'View {view}: `{name}` must be one array of shape (K, ) per '
                f'sample, the same K in every sample, got shapes {shapes}.')
        indices = np.stack(arrays).astype(np.int64)  # (B, K)
        if indices.size and (indices.min() < 0
                             or indices.max() >= rows * cols):
            raise IndexError(f'View {view}: `{name}` holds indices outside '
                             f'its {rows}x{cols} patch grid [0, '
                             f'{rows * cols}).')
        return indices

    def forward_corrupted(
        self,
        img: torch.Tensor,
        data_samples: Optional[List[DataSample]],
        view: Union[int, Sequence[int]],
        layouts: Optional[Sequence[TokenLayout]] = None
    ) -> Tuple[Tuple[torch.Tensor, ...], Tuple[torch.Tensor, TokenLayout]]:
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
            layouts (Sequence[TokenLayout], optional): The layouts of every
                view, collated once per batch by the caller
                (:meth:`forward_corrupted_views` does). Defaults to None:
                collate the views of this pass here.

        Returns:
            tuple: The backbone outputs (as its ``out_type`` says, e.g. the
            class token (B, C)) and ``(patch_tokens, layout)`` for
            :meth:`misplacement_loss`, patch tokens (B, K, C).
        """
        views = [view] if isinstance(view, int) else list(view)
        if layouts is None:  # collate the views of this pass here
            layouts = self.collate_token_layouts(data_samples,
                                                 img.chunk(len(views)), views)
        else:
            layouts = [layouts[index] for index in views]
        if layouts is None:  # dense and in place: nothing misplaced
            outs, patch_tokens = self.backbone.forward_with_patch_tokens(img)
            keep = torch.arange(
                patch_tokens.shape[1],
                device=img.device).expand(img.shape[0], -1)  # (B, L)
            return outs, (patch_tokens, TokenLayout(keep, keep))
        # the views of the pass, view after view: (n_views * B, K) each
        layout = TokenLayout(*map(torch.cat, zip(*layouts)))
        outs, patch_tokens = self.backbone.forward_with_patch_tokens(
            img, layout.keep, layout.pos)  # (n_views * B, K, C) tokens
        return outs, (patch_tokens, layout)

    def forward_corrupted_views(
        self, views: Sequence[torch.Tensor],
        data_samples: Optional[List[DataSample]]
    ) -> Tuple[List[tuple], List[Tuple[torch.Tensor, TokenLayout]]]:
        """Encode every view sparsely, views of one size in one pass, with
        ``keep``/``pos`` collated once for all.

        Args:
            views (Sequence[torch.Tensor]): The views, (B, C_in, H_v, W_v)
                each, in the order of ``keep``/``pos``.
            data_samples (list[DataSample], optional): Carry ``keep``/``pos``.

        Returns:
            tuple: The backbone outputs of each view, split from the passes,
            and one ``(patch_tokens, layout)`` per pass for
            :meth:`misplacement_loss`.
        """
        layouts = self.collate_token_layouts(data_samples, views)
        outs_per_view: List[tuple] = []
        corrupted: List[Tuple[torch.Tensor, TokenLayout]] = []
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
        self, corrupted: Sequence[Tuple[torch.Tensor, TokenLayout]]
    ) -> Dict[str, torch.Tensor]:
        """``loss_dilemma`` and ``acc_dilemma`` averaged over the views;
        ``auc_dilemma`` and ``ap_dilemma`` over all their tokens at once.

        Each entry is ``(patch_tokens, layout)`` of one backbone pass, as
        :meth:`forward_corrupted` returns it.

        An entry holding ``n`` concatenated views (see
        :meth:`forward_corrupted`) counts ``n`` times: entries are weighted
        by their number of samples, so every view of the batch weighs the
        same."""
        # One entry ranks its own tokens; several are ranked together below.
        single = len(corrupted) == 1
        per_entry = [
            self.misplacement_head.loss(
                tokens, layout.keep, layout.pos, with_ranking=single)
            for tokens, layout in corrupted
        ]
        num_samples = [tokens.shape[0] for tokens, _ in corrupted]
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
                    for tokens, _ in corrupted
                ])
                target = torch.cat([(layout.pos != layout.keep).flatten()
                                    for _, layout in corrupted])
            results.update(
                auc_dilemma=binary_auc(logits, target),
                ap_dilemma=average_precision(logits, target))
        return results
