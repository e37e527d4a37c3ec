import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope

from dilemma_mm.models.heads import MisplacementHead
from dilemma_mm.registry import MODELS


def _build(**kwargs) -> MisplacementHead:
    init_default_scope('dilemma_mm')
    torch.manual_seed(0)
    return MODELS.build(dict(type='MisplacementHead', **kwargs))


def _indices():
    keep = torch.tensor([[0, 2, 5, 7], [1, 3, 4, 6]])
    pos = torch.tensor([[0, 9, 5, 7], [1, 3, 8, 10]])  # 3 misplaced of 8
    return keep, pos


@pytest.mark.parametrize('hidden_channels', [None, 16])
def test_forward_shape(hidden_channels):
    head = _build(in_channels=8, hidden_channels=hidden_channels)
    assert isinstance(head.classifier, torch.nn.Linear) == (
        hidden_channels is None)
    assert head(torch.randn(2, 5, 8)).shape == (2, 5)


def test_loss_is_bce_against_pos_ne_keep():
    head = _build(in_channels=8, loss_weight=0.5)
    tokens = torch.randn(2, 4, 8, requires_grad=True)
    keep, pos = _indices()
    losses = head.loss(tokens, keep, pos)
    assert set(losses) == {
        'loss_dilemma', 'acc_dilemma', 'auc_dilemma', 'ap_dilemma'
    }
    logits = head(tokens)
    target = torch.tensor([[0., 1., 0., 0.], [0., 0., 1., 1.]])
    expected = F.binary_cross_entropy_with_logits(logits, target)
    torch.testing.assert_close(losses['loss_dilemma'], 0.5 * expected)
    losses['loss_dilemma'].backward()
    assert tokens.grad.abs().sum() > 0
    assert not losses['acc_dilemma'].requires_grad
    # A caller that ranks several calls' tokens together gets no ranking.
    unranked = head.loss(tokens, keep, pos, with_ranking=False)
    assert set(unranked) == {'loss_dilemma', 'acc_dilemma'}
    torch.testing.assert_close(unranked['loss_dilemma'],
                               losses['loss_dilemma'])


def test_accuracy_and_pos_weight():
    head = _build(in_channels=1, pos_weight=4.)
    with torch.no_grad():
        head.classifier.weight.fill_(1.)
        head.classifier.bias.zero_()
    keep, pos = _indices()
    # logit = token value: right on 6 of 8 tokens (two false negatives)
    tokens = torch.tensor([[-1., -2., -3., -1.], [-2., -1., -1., 3.]])
    losses = head.loss(tokens.unsqueeze(-1), keep, pos)
    torch.testing.assert_close(losses['acc_dilemma'], torch.tensor(0.75))
    # misplaced logits -2, -1, 3 against correct -1, -3, -1, -2, -1:
    # (1.5 + 3.5 + 5) of 15 pairs. Ranked (ties by position): 3 first, then
    # the four -1 (the misplaced one last), then -2: precision 1/1, 2/5, 3/6
    torch.testing.assert_close(losses['auc_dilemma'], torch.tensor(10 / 15))
    torch.testing.assert_close(losses['ap_dilemma'],
                               torch.tensor((1 + 2 / 5 + 3 / 6) / 3))
    target = (pos != keep).float()
    weighted = F.binary_cross_entropy_with_logits(
        tokens, target, pos_weight=torch.tensor(4.))
    torch.testing.assert_close(losses['loss_dilemma'], weighted)
    assert not torch.allclose(
        weighted, F.binary_cross_entropy_with_logits(tokens, target))


def test_shape_mismatch_raises():
    head = _build(in_channels=8)
    keep, pos = _indices()
    with pytest.raises(ValueError, match='agree'):
        head.loss(torch.randn(2, 5, 8), keep, pos)
    with pytest.raises(ValueError, match='agree'):
        head.loss(torch.randn(2, 4, 8), keep, pos[:, :3])
