"""Parameter names in checkpoints: the state dict inside a checkpoint,
DDP's ``module.`` prefix, and the mappings between our checkpoints, timm's
``VisionTransformer`` and the authors' MoCo v3 / DILEMMA fork.

Every function renames keys only: the tensors pass through untouched, so a
conversion is lossless by construction, and every input key must be claimed
by a rule. An unknown key raises instead of being dropped silently.
"""
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch

StateDict = Dict[str, torch.Tensor]

# (timm name, mmpretrain name). A name ending in '.' is a prefix.
_VIT_KEYS = (
    ('cls_token', 'cls_token'),
    ('pos_embed', 'pos_embed'),
    ('patch_embed.proj.weight', 'patch_embed.projection.weight'),
    ('patch_embed.proj.bias', 'patch_embed.projection.bias'),
    ('norm_pre.', 'pre_norm.'),  # pre_norm=True (CLIP style)
    ('norm.', 'ln1.'),  # final norm (mmpretrain: final_norm=True)
    ('fc_norm.', 'ln2.'),  # norm after average pooling ('avg_featmap')
)
_BLOCK_KEYS = (
    ('norm1.', 'ln1.'),
    ('attn.qkv.', 'attn.qkv.'),  # same (3, heads, head_dim) row layout
    ('attn.proj.', 'attn.proj.'),
    ('ls1.gamma', 'attn.gamma1.weight'),  # layer scale
    ('norm2.', 'ln2.'),
    ('mlp.fc1.', 'ffn.layers.0.0.'),
    ('mlp.fc2.', 'ffn.layers.1.'),
    ('ls2.gamma', 'ffn.gamma2.weight'),
)
_BLOCKS = ('blocks.', 'layers.')
# The Linear classifier of mmpretrain's ViT classifiers
# (VisionTransformerClsHead); LinearClsHead's is read too.
CLS_HEAD = 'head.layers.head.'
CLS_HEADS = (CLS_HEAD, 'head.fc.')
_NAMES = ('timm', 'mmpretrain')
TIMM, MMPRETRAIN = 0, 1


def _rename(key: str, table: Sequence[Tuple[str, str]], src: int,
            dst: int) -> Optional[str]:
    for names in table:
        old, new = names[src], names[dst]
        if key == old:
            return new
        if old.endswith('.') and key.startswith(old):
            return new + key[len(old):]
    return None


def _rename_vit_key(key: str, src: int, dst: int) -> Optional[str]:
    if key.startswith(_BLOCKS[src]):
        index, _, rest = key[len(_BLOCKS[src]):].partition('.')
        rest = _rename(rest, _BLOCK_KEYS, src, dst)
        if not index.isdigit() or rest is None:
            return None
        return f'{_BLOCKS[dst]}{index}.{rest}'
    return _rename(key, _VIT_KEYS, src, dst)


def _check_unknown(unknown: List[str], what: str) -> None:
    if unknown:
        raise ValueError(f'{len(unknown)} keys are no {what}: {unknown}')


def _rename_vit(state_dict: StateDict, src: int, dst: int) -> StateDict:
    out, unknown = OrderedDict(), []
    for key, value in state_dict.items():
        new_key = _rename_vit_key(key, src, dst)
        if new_key is None:
            unknown.append(key)
        else:
            out[new_key] = value
    _check_unknown(unknown, f'{_NAMES[src]} ViT parameters')
    return out


def timm_vit_to_mmpretrain(state_dict: StateDict) -> StateDict:
    """Rename timm ``VisionTransformer`` parameters (classifier head
    excluded) to those of mmpretrain's ``VisionTransformer``, which our
    ``DilemmaViT`` and ``DilemmaMoCoV3ViT`` share.

    Args:
        state_dict (dict): timm names, e.g. ``blocks.0.mlp.fc1.weight``.

    Returns:
        dict: mmpretrain names, e.g. ``layers.0.ffn.layers.0.0.weight``.
    """
    return _rename_vit(state_dict, TIMM, MMPRETRAIN)


def mmpretrain_vit_to_timm(state_dict: StateDict) -> StateDict:
    """The inverse of :func:`timm_vit_to_mmpretrain`."""
    return _rename_vit(state_dict, MMPRETRAIN, TIMM)


def mocov3_mlp_to_neck(state_dict: StateDict) -> StateDict:
    """Rename MoCo v3's projector/predictor MLP to ``NonLinearNeck`` names.

    MoCo v3's ``_build_mlp`` is a ``Sequential`` of ``[Linear, BN, ReLU]``
    repeated, then ``Linear`` and the last ``BN``: layer ``l`` has its
    Linear at index ``3 l`` and its BN at ``3 l + 1``, which mmpretrain's
    ``NonLinearNeck`` calls ``fc{l}`` and ``bn{l}`` (same order: fc-bn-
    [relu-fc-bn]).

    Args:
        state_dict (dict): Keys ``'<index>.<param>'``, e.g. ``'3.weight'``.

    Returns:
        dict: Keys such as ``'fc1.weight'``.
    """
    out, unknown = OrderedDict(), []
    for key, value in state_dict.items():
        index, _, param = key.partition('.')
        layer, kind = divmod(int(index), 3) if index.isdigit() else (0, 2)
        if kind == 2 or not param:  # ReLU has no parameters
            unknown.append(key)
        else:
            out[f'{("fc", "bn")[kind]}{layer}.{param}'] = value
    _check_unknown(unknown, 'MoCo v3 MLP parameters')
    return out


def _split(state_dict: StateDict, prefix: str) -> StateDict:
    return OrderedDict((k[len(prefix):], v) for k, v in state_dict.items()
                       if k.startswith(prefix))


def _add_prefix(state_dict: StateDict, prefix: str) -> StateDict:
    return OrderedDict((prefix + k, v) for k, v in state_dict.items())


def _convert_encoder(encoder: StateDict, backbone: str, neck: str,
                     backbone_only: bool) -> StateDict:
    """A timm ViT whose ``head`` is MoCo v3's projector MLP (pretraining)
    or a linear classifier (linear probing)."""
    vit = OrderedDict(
        (k, v) for k, v in encoder.items() if not k.startswith('head.'))
    out = _add_prefix(timm_vit_to_mmpretrain(vit), backbone)
    head = _split(encoder, 'head.')
    if backbone_only or not head:
        return out
    if set(head) <= {'weight', 'bias'}:  # linear classifier
        out.update(_add_prefix(head, CLS_HEAD))
    else:  # projector MLP
        out.update(_add_prefix(mocov3_mlp_to_neck(head), neck))
    return out


def official_to_dilemma_mm(state_dict: StateDict,
                           backbone_only: bool = False) -> StateDict:
    """Convert the authors' MoCo v3 / DILEMMA checkpoints to ours.

    Two layouts are recognised, with or without DDP's ``module.`` prefix:

    - pretraining (``checkpoint_%04d.pth.tar`` of MoCo v3 and of the
      DILEMMA fork): ``base_encoder.*`` (timm ViT, ``head`` = projector) ->
      ``backbone.*`` + ``neck.*``; ``momentum_encoder.*`` ->
      ``momentum_encoder.module.0.*`` (backbone) and ``.module.1.*`` (neck);
      ``predictor.*`` -> ``head.predictor.*``; ``dilemma_head.*`` ->
      ``misplacement_head.classifier.*``. ``momentum_encoder.steps`` is set
      to 1 so that the first update keeps the converted momentum encoder
      (mmengine copies the online weights at step 0), and the momentum
      schedule restarts.
    - linear probing (``linear-vit-*.pth.tar``) or a plain timm ViT:
      ``backbone.*`` and a ``Linear`` ``head`` -> ``head.layers.head.*``
      (the ``VisionTransformerClsHead`` of an ``ImageClassifier``).

    Args:
        state_dict (dict): The ``state_dict`` of the checkpoint.
        backbone_only (bool): Keep only ``backbone.*`` (for linear probing
            or fine-tuning, with ``init_cfg=dict(type='Pretrained',
            prefix='backbone.')``). Defaults to False.

    Returns:
        dict: Our parameter names, e.g. for a ``DilemmaMoCoV3`` model.
    """
    state_dict = strip_ddp_prefix(state_dict)
    if not any(k.startswith('base_encoder.') for k in state_dict):
        return _convert_encoder(state_dict, 'backbone.', '', backbone_only)

    groups = ('base_encoder.', 'momentum_encoder.', 'predictor.',
              'dilemma_head.')
    _check_unknown([k for k in state_dict if not k.startswith(groups)],
                   'MoCo v3 / DILEMMA parameters')
    out = _convert_encoder(
        _split(state_dict, 'base_encoder.'), 'backbone.', 'neck.',
        backbone_only)
    if backbone_only:
        return out
    momentum = _split(state_dict, 'momentum_encoder.')
    if momentum:
        out.update(
            _convert_encoder(momentum, 'momentum_encoder.module.0.',
                             'momentum_encoder.module.1.', False))
        out['momentum_encoder.steps'] = torch.tensor(1, dtype=torch.long)
    predictor = _split(state_dict, 'predictor.')
    out.update(_add_prefix(mocov3_mlp_to_neck(predictor), 'head.predictor.'))
    dilemma_head = _split(state_dict, 'dilemma_head.')
    _check_unknown([k for k in dilemma_head if k not in ('weight', 'bias')],
                   'parameters of a linear dilemma_head')
    out.update(_add_prefix(dilemma_head, 'misplacement_head.classifier.'))
    return out


def strip_ddp_prefix(state_dict: StateDict) -> StateDict:
    """``state_dict`` without DDP's ``module.`` key prefix (what mmengine's
    ``load_checkpoint`` removes with its default ``revise_keys``); the one
    place checkpoints of wrapped models are unwrapped."""
    return OrderedDict(
        (k[len('module.'):] if k.startswith('module.') else k, v)
        for k, v in state_dict.items())


def timm_to_dilemma_mm(state_dict: StateDict,
                       backbone_only: bool = False) -> StateDict:
    """A timm ``VisionTransformer`` state dict -> ours.

    Args:
        state_dict (dict): timm names; a classifier ``head.{weight,bias}``
            becomes ``head.layers.head.*`` (``VisionTransformerClsHead``).
        backbone_only (bool): Drop the classifier. Defaults to False.

    Returns:
        dict: ``backbone.*`` (and ``head.layers.head.*``).
    """
    state_dict = strip_ddp_prefix(state_dict)
    head = _split(state_dict, 'head.')
    vit = OrderedDict(
        (k, v) for k, v in state_dict.items() if not k.startswith('head.'))
    out = _add_prefix(timm_vit_to_mmpretrain(vit), 'backbone.')
    if head and not backbone_only:
        _check_unknown([k for k in head if k not in ('weight', 'bias')],
                       'parameters of a linear classifier head')
        out.update(_add_prefix(head, CLS_HEAD))
    return out


def dilemma_mm_to_timm(state_dict: StateDict,
                       num_classes: int = 1000) -> StateDict:
    """Our backbone (and ViT classifier head) -> timm ``VisionTransformer``.

    Args:
        state_dict (dict): A model's (``backbone.*``, other parts such as a
            neck or a momentum encoder ignored) or a bare backbone's.
        num_classes (int): Without a classifier in ``state_dict``, add a
            zero ``head`` of this many classes, so that
            ``timm.create_model(name)`` (1000 classes) loads it with
            ``strict=True``; its logits are 0 and the features unchanged.
            0 adds none (``timm.create_model(name, num_classes=0)``).
            Defaults to 1000.

    Returns:
        dict: timm names.
    """
    state_dict = strip_ddp_prefix(state_dict)
    backbone = _split(state_dict, 'backbone.')
    head = OrderedDict()
    if backbone:
        for prefix in CLS_HEADS:
            head = head or _split(state_dict, prefix)
    else:  # a bare backbone state dict
        backbone = state_dict
    out = mmpretrain_vit_to_timm(backbone)
    if head:
        _check_unknown([k for k in head if k not in ('weight', 'bias')],
                       'parameters of a linear classifier head')
        out.update(_add_prefix(head, 'head.'))
    elif num_classes > 0:
        dims = out['cls_token'].shape[-1]
        out['head.weight'] = torch.zeros(num_classes, dims)
        out['head.bias'] = torch.zeros(num_classes)
    return out


def extract_state_dict(checkpoint: Any) -> StateDict:
    """The tensors of a checkpoint: its ``state_dict`` (mmengine, MoCo v3,
    timm training), ``model`` (DeiT) or the checkpoint itself (a bare
    state dict), without DDP's ``module.`` prefix."""
    if isinstance(checkpoint, dict):
        for key in ('state_dict', 'model'):
            if isinstance(checkpoint.get(key), dict):
                checkpoint = checkpoint[key]
                break
    if not isinstance(checkpoint, dict) or not all(
            isinstance(v, torch.Tensor) for v in checkpoint.values()):
        raise ValueError('no state dict (a dict of tensors) in the '
                         'checkpoint')
    return strip_ddp_prefix(checkpoint)
