import pytest
import torch
from mmengine.registry import init_default_scope

from dilemma_mm.models.backbones import ConvStem
from dilemma_mm.registry import MODELS

ARCH = dict(embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64)


def _backbone(**kwargs):
    init_default_scope('dilemma_mm')
    torch.manual_seed(0)
    cfg = dict(
        type='DilemmaViT',
        arch=ARCH,
        img_size=32,
        patch_size=8,
        pos_embed_type='sincos',
        conv_stem_channels=[8, 16, 16],
        out_type='cls_token')
    cfg.update(kwargs)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def test_stem_replaces_the_projection_on_the_same_grid():
    model = _backbone()
    assert isinstance(model.patch_embed.projection, ConvStem)
    tokens, grid = model.patch_embed(torch.randn(2, 3, 32, 32))
    assert tokens.shape == (2, 16, 32) and tuple(grid) == (4, 4)
    keep = torch.tensor([[0, 5, 10, 15], [1, 2, 3, 4]])
    pos = torch.tensor([[0, 6, 10, 15], [1, 2, 3, 4]])
    outs, patch_tokens = model.forward_with_patch_tokens(
        torch.randn(2, 3, 32, 32), keep, pos)
    assert outs[0].shape == (2, 32) and patch_tokens.shape == (2, 4, 32)


def test_tokens_see_only_their_neighbourhood():
    """A token's receptive field is 15 px around its 8 px patch: a pixel
    two patches away does not change it, one in the patch does."""
    stem = _backbone().patch_embed.projection.eval()
    image = torch.randn(1, 3, 32, 32)
    changed = image.clone()
    changed[..., 0, 0] += 10  # top-left pixel, in token (0, 0)
    delta = (stem(changed) - stem(image)).abs().sum(1)[0]  # (4, 4)
    assert delta[0, 0] > 0
    assert delta[2:, :].abs().max() == 0 and delta[:, 2:].abs().max() == 0


@pytest.mark.parametrize('patch_size, channels', [(8, [8, 16]), (6, [8]),
                                                  (16, [8, 8, 8])])
def test_bad_channel_count_names_the_rule(patch_size, channels):
    with pytest.raises(ValueError, match='power-of-two patch_size'):
        ConvStem(3, 32, patch_size, channels)


def test_frozen_stem_keeps_its_batchnorm_statistics():
    model = _backbone(frozen_stages=2)
    model.train()
    stem = model.patch_embed.projection
    assert not stem.training
    assert not any(p.requires_grad for p in stem.parameters())
    before = [b.clone() for b in stem.buffers()]
    model(torch.randn(4, 3, 32, 32) * 5 + 3)
    assert all(torch.equal(a, b) for a, b in zip(before, stem.buffers()))
    # not frozen: BatchNorm trains as usual
    unfrozen = _backbone()
    unfrozen.train()
    assert unfrozen.patch_embed.projection.training
