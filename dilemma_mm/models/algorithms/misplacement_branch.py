from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmpretrain.structures import DataSample

from dilemma_mm.registry import MODELS
from ..utils import average_precision, binary_auc
from .token_layout import TokenLayout, collate_token_layouts
from .view_groups import group_by_size, split_views


class MisplacementBranchMixin:
    """The DILEMMA branch every algorithm wrapper mixes in.

    Implementation of `DILEMMA: Self-Supervised Shape and Texture Learning
    with Transformers <https://arxiv.org/abs/2204.04788>`_.

    ``class DilemmaX(MisplacementBranchMixin, X)`` takes X's arguments, the
    backbone a :class:`DilemmaViT`, plus ``misplacement_head``. Its loss
    encodes the corrupted views with :meth:`forward_corrupted_views` and
    adds :meth:`misplacement_loss`. ``keep``/``pos`` come from
    ``TokenDropTransform`` through ``PackInputs(algorithm_keys=['keep',
    'pos'])``; samples without them are encoded densely and uncorrupted.
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
        """Build ``self.misplacement_head`` from its config."""
        if not isinstance(misplacement_head, nn.Module):
            cfg = dict(misplacement_head or {})
            cfg.setdefault('type', 'dilemma_mm.MisplacementHead')
            cfg.setdefault('in_channels', self.backbone.embed_dims)
            misplacement_head = MODELS.build(cfg)
        self.misplacement_head = misplacement_head

    def forward_corrupted(
        self,
        img: torch.Tensor,
        data_samples: Optional[List[DataSample]],
        view: Union[int, Sequence[int]],
        layouts: Optional[Sequence[TokenLayout]] = None
    ) -> Tuple[Tuple[torch.Tensor, ...], Tuple[torch.Tensor, TokenLayout]]:
        """Encode one group of views sparsely at their (misplaced) positions.

        Args:
            img (torch.Tensor): The group's images, view after view,
                (n_views * B, C_in, H, W).
            data_samples (list[DataSample], optional): Carry ``keep``/``pos``.
            view (int | Sequence[int]): The index in ``keep``/``pos`` of each
                view of the group.
            layouts (Sequence[TokenLayout], optional): The layouts of every
                view, collated once per batch (as
                :meth:`forward_corrupted_views` does). Defaults to None:
                collate the group's views here.

        Returns:
            tuple: The backbone outputs (as its ``out_type`` says, e.g. the
            class token (n_views * B, C)) and ``(patch_tokens, layout)`` for
            :meth:`misplacement_loss`, patch tokens (n_views * B, K, C).
        """
        views = [view] if isinstance(view, int) else list(view)
        if layouts is None:  # collate the group's views here
            layouts = collate_token_layouts(data_samples,
                                            img.chunk(len(views)),
                                            self.backbone, views)
        else:
            layouts = [layouts[index] for index in views]
        if layouts is None:  # dense and in place: nothing misplaced
            outs, patch_tokens = self.backbone.forward_with_patch_tokens(img)
            keep = torch.arange(
                patch_tokens.shape[1],
                device=img.device).expand(img.shape[0], -1)  # (B, L)
            return outs, (patch_tokens, TokenLayout(keep, keep))
        # the group's views, view after view: (n_views * B, K) each
        layout = TokenLayout(*map(torch.cat, zip(*layouts)))
        outs, patch_tokens = self.backbone.forward_with_patch_tokens(
            img, layout.keep, layout.pos)  # (n_views * B, K, C) tokens
        return outs, (patch_tokens, layout)

    def forward_corrupted_views(
        self, views: Sequence[torch.Tensor],
        data_samples: Optional[List[DataSample]]
    ) -> Tuple[List[tuple], List[Tuple[torch.Tensor, TokenLayout]]]:
        """Encode every view sparsely, one pass per group of same-size views,
        with ``keep``/``pos`` collated once for all.

        Args:
            views (Sequence[torch.Tensor]): The views, (B, C_in, H_v, W_v)
                each, in the order of ``keep``/``pos``.
            data_samples (list[DataSample], optional): Carry ``keep``/``pos``.

        Returns:
            tuple: The backbone outputs of each view, and one
            ``(patch_tokens, layout)`` per group for :meth:`misplacement_loss`.
        """
        layouts = collate_token_layouts(data_samples, views, self.backbone)
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
        """Clean, dense outputs of ``backbone``, one pass per group of
        same-size views, split back into one tuple per view."""
        outs_per_view: List[tuple] = []
        for group in group_by_size(views):
            outs = backbone(torch.cat([views[i] for i in group]))
            outs_per_view += split_views(outs, len(group))
        return outs_per_view

    def misplacement_loss(
        self, corrupted: Sequence[Tuple[torch.Tensor, TokenLayout]]
    ) -> Dict[str, torch.Tensor]:
        """``loss_dilemma`` and ``acc_dilemma`` of every view alike (a group
        of ``n`` views weighs ``n``), ``auc_dilemma`` and ``ap_dilemma`` over
        all tokens at once; ``corrupted`` holds one ``(patch_tokens,
        layout)`` per group, as :meth:`forward_corrupted` returns it."""
        # One group ranks its own tokens; several are ranked together below.
        single = len(corrupted) == 1
        per_group = [
            self.misplacement_head.loss(
                tokens, layout.keep, layout.pos, with_ranking=single)
            for tokens, layout in corrupted
        ]
        num_samples = [tokens.shape[0] for tokens, _ in corrupted]
        total = sum(num_samples)
        results = {
            key:
            sum(n * losses[key]
                for n, losses in zip(num_samples, per_group)) / total
            for key in per_group[0]
        }
        if not single:
            # Rankings do not average: score every token of the batch
            # together, so the figures do not depend on the grouping.
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
