import pytest
import torch
from mmengine.registry import init_default_scope
from mmpretrain.models import VisionTransformer
from mmpretrain.models.utils import build_2d_sincos_position_embedding

from dilemma_mm.models.backbones import DilemmaViT
from dilemma_mm.registry import MODELS

ARCH = dict(embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64)
GRID = 16  # 32 px images, patch 8: a 4 x 4 grid


def _cfg(**kwargs) -> dict:
    cfg = dict(arch=ARCH, img_size=32, patch_size=8, drop_rate=0.)
    cfg.update(kwargs)
    return cfg


def _build(**kwargs) -> DilemmaViT:
    init_default_scope('dilemma_mm')
    torch.manual_seed(0)
    model = MODELS.build(dict(type='DilemmaViT', **_cfg(**kwargs)))
    model.init_weights()
    model.eval()  # BaseBackbone.train() returns None: no chaining
    return model


def _random_indices(batch_size, num_keep, num_tokens=GRID, seed=0):
    gen = torch.Generator().manual_seed(seed)
    keep = torch.stack([
        torch.randperm(num_tokens, generator=gen)[:num_keep].sort().values
        for _ in range(batch_size)
    ])
    pos = torch.stack([
        torch.randperm(num_tokens, generator=gen)[:num_keep]
        for _ in range(batch_size)
    ])
    return keep, pos


@pytest.mark.parametrize('kwargs', [
    dict(out_type='cls_token'),
    dict(out_type='raw', out_indices=[0, 1]),
    dict(out_type='featmap'),
    dict(out_type='avg_featmap', final_norm=False),
    dict(out_type='featmap', with_cls_token=False),
])
@pytest.mark.parametrize('size', [32, 48, 16])
def test_equals_vision_transformer(kwargs, size):
    """Same weights, same outputs: dense (no keep/pos) and through the
    sparse path with everything kept in place; 48 and 16 px use a resized
    position embedding like the parent."""
    model = _build(**kwargs)
    parent = VisionTransformer(**_cfg(**kwargs))
    parent.eval()
    parent.load_state_dict(model.state_dict(), strict=True)
    x = torch.randn(2, 3, size, size)
    num_tokens = (size // 8)**2
    keep = torch.arange(num_tokens).expand(2, -1)
    with torch.no_grad():
        expected = parent(x)
        dense = model(x)
        sparse = model(x, keep, keep.clone())
    assert len(expected) == len(dense) == len(sparse)
    for e, d, s in zip(expected, dense, sparse):
        torch.testing.assert_close(d, e, rtol=0, atol=0)
        torch.testing.assert_close(s, e, rtol=1e-6, atol=1e-6)


def test_loads_vision_transformer_checkpoint_keys():
    model = _build()
    parent = VisionTransformer(**_cfg())
    assert set(model.state_dict()) == set(parent.state_dict())
    model.load_state_dict(parent.state_dict(), strict=True)


def test_sincos_position_embedding_is_fixed():
    model = _build(pos_embed_type='sincos')
    expected = build_2d_sincos_position_embedding((4, 4), 32, cls_token=True)
    torch.testing.assert_close(model.pos_embed.data, expected)
    assert not model.pos_embed.requires_grad
    learned = _build()
    assert learned.pos_embed.requires_grad
    assert not torch.allclose(learned.pos_embed, expected)
    with pytest.raises(ValueError, match='pos_embed_type'):
        _build(pos_embed_type='rope')


@pytest.mark.parametrize('pos_embed_type', ['learned', 'sincos'])
def test_changing_only_pos_changes_output(pos_embed_type):
    model = _build(pos_embed_type=pos_embed_type, out_type='raw')
    x = torch.randn(2, 3, 32, 32)
    keep, _ = _random_indices(2, 8)
    moved = keep.clone()
    moved[:, 0] = (keep[:, 0] + 1) % GRID  # one token, one position away
    with torch.no_grad():
        out = model(x, keep, keep)[0]
        out_moved = model(x, keep, moved)[0]
    assert not torch.allclose(out[:, 0], out_moved[:, 0])  # cls token
    assert not torch.allclose(out[:, 1], out_moved[:, 1])  # moved token


@pytest.mark.parametrize('pos_embed_type', ['learned', 'sincos'])
def test_permuting_pairs_is_equivariant(pos_embed_type):
    model = _build(pos_embed_type=pos_embed_type, out_type='raw')
    x = torch.randn(2, 3, 32, 32)
    keep, pos = _random_indices(2, 8)
    perm = torch.randperm(8, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        out = model(x, keep, pos)[0]  # (B, 1 + K, C)
        out_perm = model(x, keep[:, perm], pos[:, perm])[0]
    assert out.shape == (2, 9, 32)
    torch.testing.assert_close(out_perm[:, 0], out[:, 0])
    torch.testing.assert_close(out_perm[:, 1:], out[:, 1:][:, perm])
    # permuting keep alone breaks the pairs: the outputs change
    with torch.no_grad():
        out_broken = model(x, keep[:, perm], pos)[0]
    assert not torch.allclose(out_broken[:, 0], out[:, 0])


def test_forward_with_patch_tokens():
    model = _build(out_type='cls_token')
    x = torch.randn(2, 3, 32, 32)
    keep, pos = _random_indices(2, 5)
    outs, patch_tokens = model.forward_with_patch_tokens(x, keep, pos)
    model.out_type = 'raw'
    raw = model(x, keep, pos)[0]
    assert outs[0].shape == (2, 32) and patch_tokens.shape == (2, 5, 32)
    torch.testing.assert_close(outs[0], raw[:, 0])
    torch.testing.assert_close(patch_tokens, raw[:, 1:])


def test_gradient_reaches_used_positions():
    model = _build(out_type='raw')
    model.train()
    x = torch.randn(2, 3, 32, 32)
    keep, pos = _random_indices(2, 4)
    model(x, keep, pos)[0].pow(2).sum().backward()
    grad_norm = model.pos_embed.grad[0].norm(dim=-1)  # (1 + L, )
    used = torch.zeros(1 + GRID, dtype=torch.bool)
    used[0] = True  # class token position
    used[1 + pos.flatten()] = True
    assert (grad_norm[used] > 0).all()
    assert (grad_norm[~used] == 0).all()  # e.g. dropped true positions
    assert model.patch_embed.projection.weight.grad.abs().sum() > 0


@pytest.mark.parametrize('kwargs', [
    dict(patch_size=8),
    dict(patch_size=7),
    dict(patch_size=8, conv_stem_channels=[8, 8, 8]),
])
@pytest.mark.parametrize('size', [(32, 32), (48, 16), (30, 57), (8, 8)])
def test_patch_grid_is_the_grid_patch_embed_cuts(kwargs, size):
    """The host-side grid collation checks indices against is the one the
    patch embedding produces, padding included."""
    model = _build(**kwargs)
    _, patch_resolution = model.patch_embed(torch.zeros(1, 3, *size))
    assert model.patch_grid(size) == tuple(patch_resolution)


def test_featmap_needs_every_patch():
    model = _build(out_type='featmap')
    keep, pos = _random_indices(2, 4)
    with pytest.raises(ValueError, match='every patch'):
        model(torch.randn(2, 3, 32, 32), keep, pos)


def test_mocov3_variant_equals_mocov3_vit_and_keeps_its_tricks():
    from mmpretrain.models.selfsup.mocov3 import MoCoV3ViT

    from dilemma_mm.models.backbones import DilemmaMoCoV3ViT
    cfg = dict(
        arch=dict(
            embed_dims=32, num_layers=2, num_heads=4, feedforward_channels=64),
        img_size=32,
        patch_size=8,
        stop_grad_conv1=True)
    ours = DilemmaMoCoV3ViT(**cfg)
    ours.init_weights()
    reference = MoCoV3ViT(**cfg)
    reference.load_state_dict(ours.state_dict())
    assert not ours.pos_embed.requires_grad
    assert not ours.patch_embed.projection.weight.requires_grad
    x = torch.rand(2, 3, 32, 32)
    torch.testing.assert_close(ours(x)[0], reference(x)[0], rtol=0, atol=0)
    keep = torch.tensor([[0, 5, 9, 15], [1, 2, 3, 4]])
    pos = torch.tensor([[7, 5, 9, 15], [1, 2, 3, 4]])
    cls_token, = ours(x, keep, pos)
    assert cls_token.shape == (2, 32)
    with pytest.raises(ValueError, match='sin-cos'):
        DilemmaMoCoV3ViT(pos_embed_type='learned', **cfg)
