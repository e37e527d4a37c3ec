from typing import Dict, Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from dilemma_mm.registry import MODELS
from ..utils import average_precision, binary_auc


@MODELS.register_module()
class MisplacementHead(BaseModule):
    """Per-token detector of misplaced position embeddings (DILEMMA).

    Scores every patch token (class token excluded) with one logit; target 1
    means the token received a wrong position embedding (``pos != keep``).

    Args:
        in_channels (int): Channels of the patch tokens.
        hidden_channels (int, optional): If set, an MLP ``Linear -> GELU ->
            Linear`` with this hidden width replaces the single linear
            layer of the authors' code. Defaults to None.
        loss_weight (float): Weight ``lambda`` of the loss. Defaults to 1.0.
        pos_weight (float, optional): Weight of the positive (misplaced)
            class in the BCE, useful for large misplacement probabilities,
            e.g. ``(1 - p) / p``. Defaults to None (unweighted).
        init_cfg (dict, optional): Initialization config dict.
            Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 hidden_channels: Optional[int] = None,
                 loss_weight: float = 1.0,
                 pos_weight: Optional[float] = None,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if hidden_channels is None:
            self.classifier = nn.Linear(in_channels, 1)
        else:
            self.classifier = nn.Sequential(
                nn.Linear(in_channels, hidden_channels), nn.GELU(),
                nn.Linear(hidden_channels, 1))
        self.loss_weight = loss_weight
        self.pos_weight = pos_weight

    def forward(self, patch_tokens: torch.Tensor) -> torch.Tensor:
        """Misplacement logits of patch tokens (B, K, C) -> (B, K)."""
        return self.classifier(patch_tokens).squeeze(-1)

    def loss(self,
             patch_tokens: torch.Tensor,
             keep: torch.Tensor,
             pos: torch.Tensor,
             with_ranking: bool = True) -> Dict[str, torch.Tensor]:
        """BCE of the misplacement logits and detection accuracy.

        Args:
            patch_tokens (torch.Tensor): Encoded patch tokens, (B, K, C), in
                the order of ``keep``.
            keep (torch.Tensor): Grid indices of the tokens, (B, K).
            pos (torch.Tensor): Positions they were embedded at, (B, K).
            with_ranking (bool): Also return ``auc_dilemma`` and
                ``ap_dilemma``; False where a caller ranks the tokens of
                several calls together. Defaults to True.

        Returns:
            dict[str, torch.Tensor]: ``loss_dilemma``, the token-averaged BCE
            times ``loss_weight``; and, detached, ``acc_dilemma`` (fraction
            of tokens classified correctly at logit 0), ``auc_dilemma``
            (ROC AUC of the logits) and ``ap_dilemma`` (average precision
            of the misplaced class). Accuracy sits at the all-negative rate
            ``1 - p`` while the ranking, which AUC and AP measure, already
            improves.
        """
        if not (patch_tokens.shape[:2] == keep.shape == pos.shape):
            raise ValueError(
                f'patch_tokens {tuple(patch_tokens.shape)}, keep '
                f'{tuple(keep.shape)} and pos {tuple(pos.shape)} must agree '
                'on (B, K).')
        logits = self(patch_tokens)  # (B, K)
        target = (pos != keep).to(logits.dtype)  # (B, K), 1 = misplaced
        pos_weight = None
        if self.pos_weight is not None:
            pos_weight = logits.new_tensor(self.pos_weight)
        loss = F.binary_cross_entropy_with_logits(
            logits, target, pos_weight=pos_weight)
        acc = ((logits > 0) == (target > 0)).float().mean().detach()
        results = dict(loss_dilemma=self.loss_weight * loss, acc_dilemma=acc)
        if with_ranking:
            results.update(
                auc_dilemma=binary_auc(logits, target),
                ap_dilemma=average_precision(logits, target))
        return results
