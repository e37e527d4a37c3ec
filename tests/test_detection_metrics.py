import pytest
import torch

from dilemma_mm.evaluation import average_precision, binary_auc


def _target():
    return torch.tensor([0, 1, 0, 0, 1, 0, 0, 0, 1, 0])  # 3 of 10 positive


def test_perfect_inverted_constant():
    target = _target()
    perfect = target.float() * 5 - 2  # every positive above every negative
    assert binary_auc(perfect, target) == 1
    assert average_precision(perfect, target) == 1
    assert binary_auc(-perfect, target) == 0
    # inverted: positives ranked last, at 8, 9, 10 -> (1/8 + 2/9 + 3/10) / 3
    torch.testing.assert_close(
        average_precision(-perfect, target),
        torch.tensor((1 / 8 + 2 / 9 + 3 / 10) / 3))
    constant = torch.zeros(10)
    assert binary_auc(constant, target) == 0.5  # every pair tied


def test_auc_counts_pairs_and_half_ties():
    target = torch.tensor([1, 1, 0, 0, 0])
    scores = torch.tensor([.9, .2, .2, .5, .1])
    # pairs (pos, neg): .9 beats all 3; .2 ties .2, loses to .5, beats .1
    expected = (3 + .5 + 1) / 6
    torch.testing.assert_close(
        binary_auc(scores, target), torch.tensor(expected))


def test_matches_pairwise_definition_on_random_scores():
    generator = torch.Generator().manual_seed(0)
    scores = torch.randn(4, 50, generator=generator).round(decimals=1)
    target = torch.rand(4, 50, generator=generator) < .2
    pos, neg = scores[target], scores[~target]
    pairwise = ((pos[:, None] > neg[None]).float() + .5 *
                (pos[:, None] == neg[None]).float()).mean()
    torch.testing.assert_close(binary_auc(scores, target), pairwise)


def test_average_precision_by_hand():
    target = torch.tensor([1, 0, 1, 0, 0])
    scores = torch.tensor([.9, .8, .7, .1, .0])
    # precision at the positives: 1/1 and 2/3
    torch.testing.assert_close(
        average_precision(scores, target), torch.tensor((1 + 2 / 3) / 2))


@pytest.mark.parametrize('positives', [0, 10])
def test_one_class_only(positives):
    target = torch.zeros(10)
    target[:positives] = 1
    scores = torch.randn(10)
    assert binary_auc(scores, target) == 0.5
    assert average_precision(scores, target) == (1. if positives else 0.)


def test_metrics_detach_and_stay_on_device():
    scores = torch.randn(8, requires_grad=True)
    target = torch.tensor([1, 0, 0, 1, 0, 0, 0, 0])
    for value in (binary_auc(scores,
                             target), average_precision(scores, target)):
        assert not value.requires_grad
        assert value.dim() == 0 and value.dtype == torch.float32
