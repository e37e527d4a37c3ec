from typing import Dict, List, Tuple

import torch
from mmpretrain.models.selfsup import MAE
from mmpretrain.structures import DataSample

from dilemma_mm.registry import MODELS
from .misplacement_branch import MisplacementBranchMixin


@MODELS.register_module()
class DilemmaMAE(MisplacementBranchMixin, MAE):
    """MAE with DILEMMA; with ``misplace_prob=0`` in the pipeline, MAE.

    Implementation of `DILEMMA: Self-Supervised Shape and Texture Learning
    with Transformers <https://arxiv.org/abs/2204.04788>`_.

    The encoder sees the patches ``TokenDropTransform`` keeps (its
    ``drop_ratio`` is MAE's mask ratio) at their given, possibly misplaced,
    positions. The decoder puts each back at its true place (``keep``), so
    MAE's targets are unchanged.

    Args:
        misplacement_head (dict, optional): Config of the
            :class:`MisplacementHead`; ``in_channels`` defaults to the
            backbone width. Defaults to None (a linear head).
        **kwargs: The arguments of :class:`MAE`, the backbone a
            :class:`DilemmaMAEViT`.
    """

    @staticmethod
    def restore_ids(keep: torch.Tensor,
                    num_patches: int) -> Tuple[torch.Tensor, torch.Tensor]:
        """MAE's ``mask`` (B, L = num_patches), 1 where a patch was dropped,
        and ``ids_restore`` (B, L) for the encoded patches ``keep`` (B, K):
        grid position ``j`` takes token ``ids_restore[:, j]`` of ``[encoded
        tokens, mask tokens]``, so each kept patch is at its true place."""
        mask = torch.ones(
            keep.shape[0], num_patches,
            device=keep.device).scatter_(1, keep, 0.)  # (B, L)
        dropped = torch.argsort(
            mask, dim=1, stable=True)[:, keep.shape[1]:]  # (B, L - K)
        ids_shuffle = torch.cat([keep, dropped], dim=1)  # (B, L)
        return mask, torch.argsort(ids_shuffle, dim=1)

    def loss(self, inputs: torch.Tensor, data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        """``loss_mae`` over the dropped patches, and the
        :meth:`misplacement_loss` entries.

        Args:
            inputs (torch.Tensor): The images, (B, C_in, H, W).
            data_samples (List[DataSample]): Carry ``keep`` and ``pos``.
        """
        # latent [B, 1 + K, C]; (patch tokens [B, K, C], layout [B, K])
        outs, corrupted = self.forward_corrupted(inputs, data_samples, 0)
        keep, num_patches = corrupted[1].keep, self.neck.num_patches
        expected = int(num_patches * (1 - self.backbone.mask_ratio))
        if keep.shape[1] != expected:
            raise ValueError(
                f'DilemmaMAE encodes the tokens TokenDropTransform keeps: '
                f'got {keep.shape[1]} of {num_patches}, mask_ratio '
                f'{self.backbone.mask_ratio} keeps {expected}. Set the '
                'drop_ratio of the pipeline to the mask_ratio.')
        mask, ids_restore = self.restore_ids(keep, num_patches)  # (B, L)
        pred = self.neck(outs[-1], ids_restore)  # (B, L, p * p * C_in)

        losses = dict(loss_mae=self.head.loss(pred, inputs, mask))
        losses.update(self.misplacement_loss([corrupted]))
        return losses
