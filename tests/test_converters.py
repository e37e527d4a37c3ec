"""Checkpoint converters on random weights: ours <-> timm (lossless, same
class-token features) and the authors' MoCo v3 / DILEMMA format -> ours."""
import argparse
import pickle

import pytest
import timm
import torch
import torch.nn as nn
from conftest import load_tool
from mmengine.registry import init_default_scope

import dilemma_mm  # noqa: F401
from dilemma_mm.apis import load_checkpoint_file
from dilemma_mm.registry import MODELS

TINY = dict(embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64)


def randomize(module: nn.Module, seed: int = 0) -> nn.Module:
    """Every parameter and BN statistic random, so that no mapping error
    hides behind a default value (zeros, ones)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, tensor in module.state_dict().items():
            if not tensor.is_floating_point():
                continue
            noise = torch.randn(tensor.shape, generator=generator)
            if name.endswith('running_var'):
                tensor.copy_(noise.abs() + 0.5)
            elif tensor.dim() > 1:
                tensor.copy_(noise * 0.1)
            else:
                tensor.copy_(noise * 0.3 +
                             (1 if 'norm' in name or 'ln' in name else 0))
    module.eval()
    return module


def build(cfg: dict) -> nn.Module:
    init_default_scope('dilemma_mm')
    model = MODELS.build(cfg)
    model.eval()
    return model


@pytest.fixture(scope='module')
def tools():
    names = ('dilemma_mm_to_timm', 'timm_to_dilemma_mm',
             'official_to_dilemma_mm')
    return {
        name: load_tool(f'tools/model_converters/{name}.py')
        for name in names
    }


def vit_small(**kwargs) -> nn.Module:
    """Our ViT-S/16 at 224 px: mmpretrain arch deit-small (384/12/6)."""
    return build(
        dict(
            type='DilemmaViT',
            arch='deit-small',
            img_size=224,
            patch_size=16,
            **kwargs))


def test_ours_to_timm_features_match_and_round_trip(tools, tmp_path):
    ours = randomize(vit_small())
    algorithm = {f'backbone.{k}': v for k, v in ours.state_dict().items()}
    algorithm['neck.fc0.weight'] = torch.ones(2, 2)  # not the backbone
    torch.save(dict(state_dict=algorithm), tmp_path / 'ours.pth')
    tools['dilemma_mm_to_timm'].main(
        [str(tmp_path / 'ours.pth'),
         str(tmp_path / 'timm.pth')])

    model = timm.create_model('vit_small_patch16_224', pretrained=False)
    model.load_state_dict(
        torch.load(tmp_path / 'timm.pth', weights_only=True), strict=True)
    model.eval()
    x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        theirs = model.forward_head(model.forward_features(x), True)
        mine = ours(x)[0]  # class token after the final norm, (2, 384)
    diff = (theirs - mine).abs().max().item()
    print(f'timm vit_small_patch16_224 vs DilemmaViT deit-small: class '
          f'token max abs diff {diff:.3g} (|features| up to '
          f'{mine.abs().max():.3g})')
    assert diff < 1e-4
    assert torch.count_nonzero(model(x)) == 0  # the zero head

    tools['timm_to_dilemma_mm'].main([
        str(tmp_path / 'timm.pth'),
        str(tmp_path / 'back.pth'), '--backbone-only'
    ])
    back = torch.load(tmp_path / 'back.pth', weights_only=True)['state_dict']
    assert back.keys() == {k for k in algorithm if k.startswith('backbone')}
    for key, value in back.items():
        assert torch.equal(value, algorithm[key]), key


def test_timm_to_ours_features_match_and_round_trip(tools, tmp_path):
    model = randomize(
        timm.create_model('vit_small_patch16_224', pretrained=False))
    torch.save(dict(model=model.state_dict()), tmp_path / 'timm.pth')
    tools['timm_to_dilemma_mm'].main(
        [str(tmp_path / 'timm.pth'),
         str(tmp_path / 'ours.pth')])
    converted = load_checkpoint_file(str(tmp_path / 'ours.pth'))

    classifier = build(
        dict(
            type='ImageClassifier',
            backbone=dict(
                type='DilemmaViT',
                arch='deit-small',
                img_size=224,
                patch_size=16),
            neck=None,
            head=dict(
                type='VisionTransformerClsHead',
                num_classes=1000,
                in_channels=384)))
    classifier.load_state_dict(converted['state_dict'], strict=True)
    x = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        diff = (model(x) - classifier(x, mode='tensor')).abs().max().item()
    print(f'timm -> ours logits max abs diff {diff:.3g}')
    assert diff < 1e-4

    tools['dilemma_mm_to_timm'].main(
        [str(tmp_path / 'ours.pth'),
         str(tmp_path / 'back.pth')])
    back = torch.load(tmp_path / 'back.pth', weights_only=True)
    original = model.state_dict()
    assert back.keys() == original.keys()
    for key, value in back.items():
        assert torch.equal(value, original[key]), key


def mocov3_mlp(num_layers: int, in_dims: int, hidden: int,
               out_dims: int) -> nn.Sequential:
    """The layer order of MoCo v3's ViT projector and predictor: bias-free
    Linear, BN, ReLU, ..., then Linear and a BN without affine."""
    layers = []
    for i in range(num_layers):
        last = i == num_layers - 1
        layers.append(
            nn.Linear(
                in_dims if i == 0 else hidden,
                out_dims if last else hidden,
                bias=False))
        if last:
            layers.append(nn.BatchNorm1d(out_dims, affine=False))
        else:
            layers += [nn.BatchNorm1d(hidden), nn.ReLU()]
    return nn.Sequential(*layers)


def official_vit(head: nn.Module) -> nn.Module:
    """A timm ViT as MoCo v3 builds it (its ``head`` replaced)."""
    vit = timm.models.vision_transformer.VisionTransformer(
        img_size=32,
        patch_size=8,
        embed_dim=32,
        depth=2,
        num_heads=2,
        mlp_ratio=2,
        qkv_bias=True)
    vit.head = head
    return vit


class OfficialDilemma(nn.Module):
    """The module layout of the authors' DILEMMA fork of MoCo v3."""

    def __init__(self) -> None:
        super().__init__()
        self.base_encoder = official_vit(mocov3_mlp(3, 32, 64, 16))
        self.momentum_encoder = official_vit(mocov3_mlp(3, 32, 64, 16))
        self.predictor = mocov3_mlp(2, 16, 64, 16)
        self.dilemma_head = nn.Linear(32, 1)


def our_dilemma_mocov3() -> nn.Module:
    neck = dict(
        type='NonLinearNeck',
        in_channels=32,
        hid_channels=64,
        out_channels=16,
        num_layers=3,
        with_bias=False,
        with_last_bn=True,
        with_last_bn_affine=False,
        with_last_bias=False,
        with_avg_pool=False)
    return build(
        dict(
            type='DilemmaMoCoV3',
            backbone=dict(
                type='DilemmaMoCoV3ViT', arch=TINY, img_size=32, patch_size=8),
            neck=neck,
            head=dict(
                type='MoCoV3Head',
                predictor=dict(neck, in_channels=16, num_layers=2),
                loss=dict(type='CrossEntropyLoss', loss_weight=0.4),
                temperature=0.2),
            misplacement_head=dict(type='MisplacementHead')))


def save_official(state_dict: dict, path) -> None:
    torch.save(
        dict(
            epoch=300,
            arch='vit_small',
            state_dict={
                f'module.{k}': v
                for k, v in state_dict.items()
            },
            optimizer=dict(state={}, param_groups=[dict(lr=1e-3)]),
            args=argparse.Namespace(arch='vit_small', lr=1.5e-4)), path)


def test_official_dilemma_checkpoint(tools, tmp_path):
    official = randomize(OfficialDilemma())
    src = tmp_path / 'checkpoint_0299.pth.tar'
    save_official(official.state_dict(), src)
    # the Namespace is allowed for the converter's load only
    with pytest.raises(pickle.UnpicklingError):
        load_checkpoint_file(str(src))

    tools['official_to_dilemma_mm'].main([str(src), str(tmp_path / 'o.pth')])
    converted = load_checkpoint_file(str(tmp_path / 'o.pth'))
    assert converted['meta']['epoch'] == 300
    assert converted['meta']['official_args']['lr'] == 1.5e-4
    state_dict = converted['state_dict']
    assert len(state_dict) == len(official.state_dict()) + 1  # + steps
    ours = our_dilemma_mocov3()
    ours.load_state_dict(state_dict, strict=True)

    x = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        tokens = official.base_encoder.forward_features(x)  # (2, 17, 32)
        cls_token = ours.backbone(x)[0]
        assert torch.allclose(tokens[:, 0], cls_token, atol=1e-5)
        q = official.base_encoder(x)  # projector output
        assert torch.allclose(q, ours.neck((cls_token, ))[0], atol=1e-5)
        assert torch.allclose(
            official.momentum_encoder(x),
            ours.momentum_encoder(x)[0],
            atol=1e-5)
        assert torch.allclose(
            official.predictor(q), ours.head.predictor((q, ))[0], atol=1e-5)
        assert torch.allclose(
            official.dilemma_head(tokens[:, 1:]).squeeze(-1),
            ours.misplacement_head(tokens[:, 1:]),
            atol=1e-6)

    tools['official_to_dilemma_mm'].main(
        [str(src), str(tmp_path / 'b.pth'), '--backbone-only'])
    backbone = load_checkpoint_file(str(tmp_path / 'b.pth'))['state_dict']
    assert backbone.keys() == {
        k
        for k in state_dict if k.startswith('backbone.')
    }
    vit = build(dict(type='DilemmaViT', arch=TINY, img_size=32, patch_size=8))
    vit.load_state_dict({
        k[len('backbone.'):]: v
        for k, v in backbone.items()
    },
                        strict=True)


def test_official_linear_probe_checkpoint(tools, tmp_path):
    official = randomize(official_vit(nn.Linear(32, 10)))
    src = tmp_path / 'linear-vit-s-300ep.pth.tar'
    save_official(official.state_dict(), src)
    tools['official_to_dilemma_mm'].main([str(src), str(tmp_path / 'o.pth')])
    classifier = build(
        dict(
            type='ImageClassifier',
            backbone=dict(
                type='DilemmaViT', arch=TINY, img_size=32, patch_size=8),
            neck=None,
            head=dict(
                type='VisionTransformerClsHead',
                num_classes=10,
                in_channels=32)))
    state_dict = load_checkpoint_file(str(tmp_path / 'o.pth'))['state_dict']
    classifier.load_state_dict(state_dict, strict=True)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.allclose(
            official(x), classifier(x, mode='tensor'), atol=1e-5)


def test_unknown_keys_are_refused(tools, tmp_path):
    official = randomize(OfficialDilemma())
    state_dict = official.state_dict()
    # MoCo v3's conv-stem ViTs (vit_conv_*) are not a plain patch embedding
    state_dict['base_encoder.patch_embed.proj.0.weight'] = torch.zeros(1)
    save_official(state_dict, tmp_path / 'conv.pth.tar')
    with pytest.raises(ValueError, match='patch_embed.proj.0.weight'):
        tools['official_to_dilemma_mm'].main(
            [str(tmp_path / 'conv.pth.tar'),
             str(tmp_path / 'o.pth')])
    assert not (tmp_path / 'o.pth').exists()
