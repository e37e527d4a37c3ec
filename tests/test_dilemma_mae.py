"""DILEMMA + MAE: the mask comes from ``keep``, the decoder restores true
positions, and ``misplace_prob=0`` is MAE."""
import numpy as np
import pytest
import torch
from tiny_models import ARCH, build, load_weights, make_batch

from dilemma_mm.models.algorithms import collate_token_layouts

GRID = 16  # 32 px images, patch 8


def mae_cfg(algorithm='DilemmaMAE',
            backbone='DilemmaMAEViT',
            mask_ratio=0.5) -> dict:
    return dict(
        type=algorithm,
        backbone=dict(
            type=backbone,
            arch=ARCH,
            img_size=32,
            patch_size=8,
            mask_ratio=mask_ratio),
        neck=dict(
            type='MAEPretrainDecoder',
            num_patches=GRID,
            patch_size=8,
            embed_dim=ARCH['embed_dims'],
            decoder_embed_dim=16,
            decoder_depth=1,
            decoder_num_heads=2),
        head=dict(
            type='MAEPretrainHead',
            norm_pix=True,
            patch_size=8,
            loss=dict(type='PixelReconstructionLoss', criterion='L2')))


def batch(drop_ratio=0.5, misplace_prob=0.5, keys=('keep', 'pos')):
    crop = dict(type='RandomResizedCrop', scale=32)
    return make_batch([crop], drop_ratio, misplace_prob, keys)


def test_restore_ids_put_tokens_at_keep():
    keep = torch.tensor([[5, 0, 9], [15, 14, 1]])  # any order
    mask, ids_restore = type(build(mae_cfg())).restore_ids(keep, GRID)
    # token i of [encoded tokens, mask tokens] lands on ids_restore^-1(i)
    sequence = torch.cat([keep, -torch.ones(2, GRID - 3, dtype=torch.long)], 1)
    restored = torch.gather(sequence, 1, ids_restore)
    for b in range(2):
        expected = torch.full((GRID, ), -1)
        expected[keep[b]] = keep[b]
        torch.testing.assert_close(restored[b], expected)
        torch.testing.assert_close(mask[b], (expected < 0).float())


def test_decoder_and_targets_follow_true_positions():
    model = build(mae_cfg())
    seen = {}
    model.neck.register_forward_pre_hook(
        lambda module, args: seen.update(latent=args[0], restore=args[1]))
    head_loss = model.head.loss

    def record_head(pred, target, mask):
        seen.update(pred=pred, target=target, mask=mask)
        return head_loss(pred, target, mask)

    model.head.loss = record_head
    data = model.data_preprocessor(batch(), True)
    (keep, pos), = collate_token_layouts(data['data_samples'],
                                         [data['inputs']], model.backbone)
    assert (keep != pos).any()  # some tokens misplaced
    losses = model(**data, mode='loss')
    assert set(losses) == {
        'loss_mae', 'loss_dilemma', 'acc_dilemma', 'auc_dilemma', 'ap_dilemma'
    }

    num_keep = keep.shape[1]
    assert seen['latent'].shape[1] == 1 + num_keep
    restore, mask = seen['restore'], seen['mask']
    for b in range(len(keep)):
        # encoder token i goes back to its true slot keep[b, i], not pos
        torch.testing.assert_close(restore[b, keep[b]], torch.arange(num_keep))
        dropped = np.setdiff1d(np.arange(GRID), keep[b].numpy())
        assert (restore[b, dropped] >= num_keep).all()  # mask tokens
        expected_mask = torch.ones(GRID)
        expected_mask[keep[b]] = 0
        torch.testing.assert_close(mask[b], expected_mask)
    # targets: the image itself, patchified in grid order by the head
    torch.testing.assert_close(seen['target'], data['inputs'], rtol=0, atol=0)
    assert seen['pred'].shape[1] == GRID


@pytest.mark.parametrize('seed', [0, 1])
def test_misplace_prob_zero_is_mae(seed):
    """MAE draws its mask from torch's generator; handing DilemmaMAE the
    same visible tokens as ``keep`` (= ``pos``) gives MAE's loss."""
    mae = build(mae_cfg('MAE', 'MAEViT'))
    dilemma = build(mae_cfg())
    load_weights(dilemma, mae)
    data = batch(keys=())
    torch.manual_seed(seed)  # MAEViT.random_masking's noise
    noise = torch.rand(4, GRID)
    visible = torch.sort(torch.argsort(noise, 1)[:, :GRID // 2], 1)[0]
    for sample, keep in zip(data['data_samples'], visible.numpy()):
        sample.set_field(keep, 'keep')
        sample.set_field(keep, 'pos')

    torch.manual_seed(seed)
    expected = mae(**mae.data_preprocessor(data, True), mode='loss')
    losses = dilemma(**dilemma.data_preprocessor(data, True), mode='loss')
    torch.testing.assert_close(losses['loss_mae'], expected['loss'])
    assert 'loss_dilemma' in losses  # the branch ran, on all negatives


def test_dense_forward_is_maevit():
    mae = build(mae_cfg('MAE', 'MAEViT'))
    dilemma = build(mae_cfg())
    load_weights(dilemma, mae)
    images = torch.randn(2, 3, 32, 32)
    torch.testing.assert_close(
        dilemma.extract_feat(images)[0],
        mae.extract_feat(images)[0])
    with pytest.raises(ValueError, match='draws no mask'):
        dilemma.backbone(images, mask=True)


def test_mask_must_come_from_the_pipeline():
    model = build(mae_cfg(mask_ratio=0.75))
    with pytest.raises(ValueError, match='drop_ratio'):  # 8 kept, not 4
        model(**model.data_preprocessor(batch(), True), mode='loss')
    with pytest.raises(ValueError, match='drop_ratio'):  # nothing dropped
        model(**model.data_preprocessor(batch(keys=()), True), mode='loss')


def test_conv_stem_takes_mae_initialisation():
    """With a ConvStem, MAE's xavier init of the projection goes to the
    stem's 1x1 output conv, and the stem stays in place."""
    from dilemma_mm.models.backbones import ConvStem, DilemmaMAEViT
    torch.manual_seed(0)
    vit = DilemmaMAEViT(
        arch=ARCH, img_size=32, patch_size=8, conv_stem_channels=[8, 8, 8])
    last = vit.patch_embed.projection.layers[-1]
    with torch.no_grad():
        last.weight.fill_(5.)
    vit.init_weights()
    assert isinstance(vit.patch_embed.projection, ConvStem)
    fan_in, fan_out = last.weight.shape[1], last.weight.shape[0]
    bound = (6 / (fan_in + fan_out))**.5
    assert last.weight.abs().max() <= bound
    assert last.weight.std() > bound / 4  # redrawn, not zeroed
    tokens = vit(torch.randn(2, 3, 32, 32))[0]
    assert tokens.shape[:2] == (2, 17)  # MAE's 'raw' output, 16 + cls
