from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmpretrain.structures import DataSample

from dilemma_mm.registry import MODELS

# (patch tokens (B, K, C), keep (B, K), pos (B, K)) of one corrupted view
CorruptedView = Tuple[torch.Tensor, torch.Tensor, torch.Tensor]


class MisplacementBranchMixin:
    """The DILEMMA branch shared by every algorithm wrapper.

    Mix it in before a :class:`BaseSelfSupervisor` whose ``backbone`` is a
    :class:`DilemmaViT` (``class DilemmaX(MisplacementBranchMixin, X)``):
    the wrapper takes X's arguments plus ``misplacement_head`` and builds
    the head after X's modules. Encode each corrupted view with
    :meth:`forward_corrupted` and add :meth:`misplacement_loss` to the loss
    dict; the wrapper overrides only what X encodes.

    ``keep`` and ``pos`` travel from ``TokenDropTransform`` through
    ``PackInputs(algorithm_keys=['keep', 'pos'])`` as data fields of each
    ``DataSample``: a list of int64 arrays (K_v, ), one per view, or one
    array for a single-view pipeline. Per view they are stacked over the
    batch into LongTensors (B, K_v) on the input's device, so the samples
    of a batch must share each view's size (they share ``K_v`` then).
    Samples without them are encoded densely and uncorrupted. Views of one
    size can share a backbone pass (``forward_corrupted(cat(views),
    data_samples, [i, j, ...])``, as DINO's crops do); the loss still
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

    @staticmethod
    def read_keep_pos(
        data_samples: Optional[List[DataSample]], view: int,
        device: torch.device
    ) -> Tuple[Optional[torch.Tensor], Optional[torch.Tensor]]:
        """``keep`` and ``pos`` of one view as LongTensors (B, K), or
        ``(None, None)`` when the data samples do not carry them."""
        if not data_samples or not all('keep' in sample and 'pos' in sample
                                       for sample in data_samples):
            return None, None

        def stack(key: str) -> torch.Tensor:
            per_sample = []
            for sample in data_samples:
                value = sample.get(key)
                if isinstance(value, (list, tuple)):
                    value = value[view]
                elif view != 0:
                    raise IndexError(f'`{key}` holds one view, not {view + 1}')
                per_sample.append(torch.as_tensor(value))
            return torch.stack(per_sample).to(device, torch.long)  # (B, K)

        return stack('keep'), stack('pos')

    def forward_corrupted(
        self, img: torch.Tensor, data_samples: Optional[List[DataSample]],
        view: Union[int, Sequence[int]]
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

        Returns:
            tuple: The backbone outputs (as its ``out_type`` says, e.g. the
            class token (B, C)) and ``(patch_tokens, keep, pos)`` for
            :meth:`misplacement_loss`.
        """
        views = [view] if isinstance(view, int) else list(view)
        per_view = [
            self.read_keep_pos(data_samples, index, img.device)
            for index in views
        ]
        keep = pos = None
        if all(view_keep is not None for view_keep, _ in per_view):
            keep = torch.cat([view_keep for view_keep, _ in per_view])
            pos = torch.cat([view_pos for _, view_pos in per_view])
        outs, patch_tokens = self.backbone.forward_with_patch_tokens(
            img, keep, pos)  # patch_tokens: (n_views * B, K, C)
        if keep is None:  # dense and uncorrupted: nothing misplaced
            keep = torch.arange(
                patch_tokens.shape[1],
                device=img.device).expand(img.shape[0], -1)  # (B, L)
            pos = keep
        return outs, (patch_tokens, keep, pos)

    def misplacement_loss(
            self,
            corrupted: Sequence[CorruptedView]) -> Dict[str, torch.Tensor]:
        """``loss_dilemma`` and ``acc_dilemma`` averaged over the views.

        An entry holding ``n`` concatenated views (see
        :meth:`forward_corrupted`) counts ``n`` times: entries are weighted
        by their number of samples, so every view of the batch weighs the
        same."""
        per_entry = [self.misplacement_head.loss(*view) for view in corrupted]
        num_samples = [view[0].shape[0] for view in corrupted]
        total = sum(num_samples)
        return {
            key:
            sum(n * losses[key]
                for n, losses in zip(num_samples, per_entry)) / total
            for key in per_entry[0]
        }
