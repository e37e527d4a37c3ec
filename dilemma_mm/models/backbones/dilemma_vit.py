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
    view of another size (e.g. DINO's local views) uses its own grid and the
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

    def patch_grid(self, img_size: Sequence[int]) -> Tuple[int, int]:
        """The ``(rows, cols)`` patch grid of an input of ``img_size``
        ``(H, W)``: ``patch_embed`` pads it to whole patches (mmcv's
        ``PatchEmbed`` with ``padding='corner'``, as mmpretrain builds it).
        Host arithmetic: collation checks ``keep``/``pos`` against it."""
        stride = self.patch_embed.projection.stride
        return tuple(-(-size // step) for size, step in zip(img_size, stride))

    def forward_with_patch_tokens(
        self,
        x: torch.Tensor,
        keep: Optional[torch.Tensor] = None,
        pos: Optional[torch.Tensor] = None
    ) -> Tuple[Tuple[torch.Tensor, ...], torch.Tensor]:
        """Forward that also returns the final patch tokens.

        ``keep`` and ``pos`` are gathered unchecked, as timm's
        ``PatchDropout`` gathers: they are checked once, on the host, where
        they are collated (``MisplacementBranchMixin``), so the step reads
        nothing back from the device.

        Args:
            x (torch.Tensor): Images, shape (B, C_in, H, W).
            keep (torch.Tensor, optional): Grid indices in [0, L) of the
                patches to encode, LongTensor (B, K). Defaults to all, in
                grid order.
            pos (torch.Tensor, optional): Grid positions in [0, L) whose
                embeddings the kept patches receive, LongTensor (B, K).
                Defaults to ``keep`` (true positions).

        Returns:
            tuple: The outputs of :meth:`forward` and the patch tokens of
            the last layer after the final norm, shape (B, K, C).
        """
        B = x.shape[0]
        x, patch_resolution = self.patch_embed(x)  # (B, L, C)
        C = x.shape[-1]
        pos_embed = resize_pos_embed(
            self.pos_embed,
            self.patch_resolution,
            patch_resolution,
            mode=self.interpolate_mode,
            num_extra_tokens=self.num_extra_tokens)  # (1, n_extra + L, C)
        extra_pos_embed = pos_embed[:, :self.num_extra_tokens]
        patch_pos_embed = pos_embed[:, self.num_extra_tokens:]  # (1, L, C)
        pos = keep if pos is None else pos
        if keep is not None:
            x = x.gather(1, keep[..., None].expand(-1, -1, C))  # (B, K, C)
        if pos is not None:
            patch_pos_embed = patch_pos_embed.expand(B, -1, -1).gather(
                1, pos[..., None].expand(-1, -1, C))  # (B, K, C)
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
