from typing import Optional, Sequence, Tuple

import torch
from mmpretrain.models.backbones import VisionTransformer
from mmpretrain.models.utils import (build_2d_sincos_position_embedding,
                                     resize_pos_embed)

from dilemma_mm.registry import MODELS
from .conv_stem import ConvStem


@MODELS.register_module()
class DilemmaViT(VisionTransformer):
    """Vision Transformer that encodes a sparse set of (misplaced) patches.

    ``forward(x, keep, pos)`` embeds the patches, keeps those at the grid
    indices ``keep``, adds to each the position embedding at ``pos`` (the
    true positions ``keep`` unless misplaced), prepends the class token and
    runs the blocks. With ``keep`` and ``pos`` left out it computes exactly
    what :class:`VisionTransformer` computes, with the same parameters, so
    it loads the same checkpoints and serves linear probing and fine-tuning
    configs unchanged. Outputs follow the parent's ``out_type``; the patch
    tokens come in the order of ``keep`` (``'raw'`` gives the normed
    ``(B, 1 + K, C)`` sequence, ``'featmap'`` needs the full grid).

    The indices refer to the row-major patch grid of the input itself, so a
    crop of another size (e.g. DINO's local views) uses its own grid and the
    position embeddings are resized to it as the parent does.

    Args:
        pos_embed_type (str): ``'learned'`` (the parent's trainable
            embeddings, as in the DILEMMA authors' code) or ``'sincos'``
            (fixed 2D sin-cos embeddings, not trained, as in MoCo v3's
            ``MoCoV3ViT``). Defaults to ``'learned'``.
        conv_stem_channels (Sequence[int], optional): If given, a
            :class:`ConvStem` with these widths replaces the linear patch
            projection (one width per factor 2 of ``patch_size``). Defaults
            to None (the linear projection: the parent's checkpoints load).
        **kwargs: The arguments of :class:`VisionTransformer`.
    """

    POS_EMBED_TYPES = ('learned', 'sincos')

    def __init__(self,
                 pos_embed_type: str = 'learned',
                 conv_stem_channels: Optional[Sequence[int]] = None,
                 **kwargs) -> None:
        if pos_embed_type not in self.POS_EMBED_TYPES:
            raise ValueError(f'Unsupported pos_embed_type {pos_embed_type}, '
                             f'choose from {self.POS_EMBED_TYPES}.')
        super().__init__(**kwargs)
        self.pos_embed_type = pos_embed_type
        if conv_stem_channels is not None:
            projection = self.patch_embed.projection
            if projection.kernel_size[0] != projection.kernel_size[1]:
                raise ValueError('conv_stem_channels needs a square patch, '
                                 f'got {projection.kernel_size}')
            self.patch_embed.projection = ConvStem(projection.in_channels,
                                                   self.embed_dims,
                                                   projection.kernel_size[0],
                                                   conv_stem_channels)
            if self.frozen_stages > 0:  # the parent froze the old one
                self._freeze_stages()
        if pos_embed_type == 'sincos':
            self._init_sincos_pos_embed()

    def train(self, mode: bool = True) -> 'DilemmaViT':
        """As the parent; a frozen patch embedding stays in eval mode, so
        the BatchNorm statistics of a :class:`ConvStem` stay frozen too
        (the parent sets eval mode once, at construction)."""
        super().train(mode)
        if mode and self.frozen_stages > 0:
            self.patch_embed.eval()
        return self

    def _init_sincos_pos_embed(self) -> None:
        """Fill ``pos_embed`` with fixed 2D sin-cos values and freeze it."""
        pos_embed = build_2d_sincos_position_embedding(
            self.patch_resolution,
            self.embed_dims,
            cls_token=self.num_extra_tokens > 0)  # (1, n_extra + L, C)
        self.pos_embed.data.copy_(pos_embed)
        self.pos_embed.requires_grad = False

    def init_weights(self) -> None:
        """Initialize as the parent; sin-cos embeddings stay fixed."""
        super().init_weights()
        pretrained = (
            isinstance(self.init_cfg, dict)
            and self.init_cfg.get('type') == 'Pretrained')
        if self.pos_embed_type == 'sincos' and not pretrained:
            self._init_sincos_pos_embed()

    @staticmethod
    def _check_indices(keep: Optional[torch.Tensor],
                       pos: Optional[torch.Tensor],
                       batch_size: int,
                       num_tokens: int,
                       device: torch.device,
                       check_values: bool = True) -> Tuple[torch.Tensor, ...]:
        """Validate ``keep``/``pos``; ``keep=None`` means every patch in
        grid order and ``pos=None`` means the true positions ``keep``.

        Types and shapes are host metadata. The range check of the values
        reads them back, a device sync on a GPU: it runs only with
        ``check_values``, i.e. for indices not already checked on the host.
        """
        if keep is None:
            keep = torch.arange(
                num_tokens, device=device).expand(batch_size, -1)  # (B, L)
        if pos is None:
            pos = keep
        for name, idx in (('keep', keep), ('pos', pos)):
            if not isinstance(idx, torch.Tensor) or idx.dtype != torch.long:
                raise TypeError(f'`{name}` must be a LongTensor, got '
                                f'{getattr(idx, "dtype", type(idx))}.')
            if idx.dim() != 2 or idx.shape[0] != batch_size:
                raise ValueError(f'`{name}` must have shape (B={batch_size}, '
                                 f'K), got {tuple(idx.shape)}.')
            if check_values and idx.numel() and (idx.min() < 0
                                                 or idx.max() >= num_tokens):
                raise IndexError(f'`{name}` holds indices outside the patch '
                                 f'grid [0, {num_tokens}).')
        if keep.shape != pos.shape:
            raise ValueError(f'`keep` {tuple(keep.shape)} and `pos` '
                             f'{tuple(pos.shape)} must have the same shape.')
        return keep.to(device), pos.to(device)

    def _check_grid(self, grid: Sequence[int],
                    patch_resolution: Tuple[int, int]) -> None:
        """Refuse indices drawn for a grid other than this input's."""
        if tuple(grid) != tuple(patch_resolution):
            raise ValueError(
                f'`keep`/`pos` were drawn for a {grid[0]}x{grid[1]} patch '
                f'grid, but this backbone (patch size '
                f'{self.patch_embed.projection.kernel_size}) cuts the input '
                f'into a {patch_resolution[0]}x{patch_resolution[1]} grid. '
                'Give TokenDropTransform the patch_size of the backbone.')

    def forward_with_patch_tokens(
        self,
        x: torch.Tensor,
        keep: Optional[torch.Tensor] = None,
        pos: Optional[torch.Tensor] = None,
        grid: Optional[Sequence[int]] = None
    ) -> Tuple[Tuple[torch.Tensor, ...], torch.Tensor]:
        """Forward that also returns the final patch tokens.

        Args:
            x (torch.Tensor): Images, shape (B, C_in, H, W).
            keep (torch.Tensor, optional): Grid indices of the patches to
                encode, LongTensor (B, K). Defaults to all, in grid order.
            pos (torch.Tensor, optional): Grid positions whose embeddings
                the kept patches receive, LongTensor (B, K). Defaults to
                ``keep`` (true positions).
            grid (Sequence[int], optional): The ``(rows, cols)`` patch grid
                ``keep``/``pos`` were drawn for and checked against on the
                host (``MisplacementBranchMixin`` does): a grid other than
                this input's raises, and the values are not read back (no
                device sync). Defaults to None: the backbone range-checks
                the values itself, a device sync on a GPU.

        Returns:
            tuple: The outputs of :meth:`forward` and the patch tokens of
            the last layer after the final norm, shape (B, K, C).
        """
        B = x.shape[0]
        x, patch_resolution = self.patch_embed(x)  # (B, L, C)
        keep_given = keep is not None
        if grid is not None:
            self._check_grid(grid, patch_resolution)
        if keep_given or pos is not None:
            keep, pos = self._check_indices(
                keep, pos, B, x.shape[1], x.device, check_values=grid is None)
        pos_embed = resize_pos_embed(
            self.pos_embed,
            self.patch_resolution,
            patch_resolution,
            mode=self.interpolate_mode,
            num_extra_tokens=self.num_extra_tokens)  # (1, n_extra + L, C)
        extra_pos_embed = pos_embed[:, :self.num_extra_tokens]
        patch_pos_embed = pos_embed[:, self.num_extra_tokens:]  # (1, L, C)
        if pos is not None:
            pos_idx = pos.unsqueeze(-1).expand(-1, -1, x.shape[-1])
            patch_pos_embed = torch.gather(
                patch_pos_embed.expand(B, -1, -1), 1, pos_idx)  # (B, K, C)
        if keep_given:
            keep_idx = keep.unsqueeze(-1).expand(-1, -1, x.shape[-1])
            x = torch.gather(x, 1, keep_idx)  # (B, K, C)
        x = x + patch_pos_embed

        if self.cls_token is not None:
            cls_token = self.cls_token.expand(B, -1, -1) + extra_pos_embed
            x = torch.cat((cls_token, x), dim=1)  # (B, 1 + K, C)
        x = self.drop_after_pos(x)
        x = self.pre_norm(x)

        outs = []
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i == len(self.layers) - 1 and self.final_norm:
                x = self.ln1(x)
            if i in self.out_indices:
                outs.append(self._format_output(x, patch_resolution))
        return tuple(outs), x[:, self.num_extra_tokens:]

    def forward(self,
                x: torch.Tensor,
                keep: Optional[torch.Tensor] = None,
                pos: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor]:
        """Encode the patches ``keep`` at the positions ``pos``.

        Args:
            x (torch.Tensor): Images, shape (B, C_in, H, W).
            keep (torch.Tensor, optional): LongTensor (B, K) of grid
                indices. Defaults to all patches, in grid order.
            pos (torch.Tensor, optional): LongTensor (B, K) of grid
                positions. Defaults to ``keep``.

        Returns:
            tuple[torch.Tensor]: One output per ``out_indices``, formatted by
            ``out_type`` as in :class:`VisionTransformer`.
        """
        return self.forward_with_patch_tokens(x, keep, pos)[0]

    def _format_output(self, x: torch.Tensor, hw: Tuple[int, int]):
        num_patches = x.shape[1] - self.num_extra_tokens
        if self.out_type == 'featmap' and num_patches != hw[0] * hw[1]:
            raise ValueError(f'out_type="featmap" needs every patch, got '
                             f'{num_patches} of {hw[0] * hw[1]}.')
        return super()._format_output(x, hw)
