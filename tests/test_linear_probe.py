"""The converged linear probe on cached features
(dilemma_mm/evaluation/linear_probe.py)."""
import pytest
import torch
import torch.nn.functional as F

from dilemma_mm.evaluation.linear_probe import (fit_logistic_regression,
                                                linear_probe_evaluate)


def clusters(num_per_class: int, num_classes: int, dims: int, spread: float,
             seed: int):
    """Gaussian clusters, one a class, centred on the first axes."""
    gen = torch.Generator().manual_seed(seed)
    labels = torch.arange(num_classes).repeat_interleave(num_per_class)
    centres = torch.zeros(num_classes, dims)
    centres[:, :num_classes] = torch.eye(num_classes)
    feats = centres[labels] + spread * torch.randn(
        len(labels), dims, generator=gen)
    return feats, labels


def test_separable_classes_are_read_back():
    train = clusters(40, 4, 16, 0.1, seed=0)
    val = clusters(40, 4, 16, 0.1, seed=1)
    result = linear_probe_evaluate(*train, *val)
    assert result['top1'] == 100.
    assert set(
        result['holdout_top1']) == {1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1}


def test_a_win_at_the_grids_smallest_weight_decay_is_flagged():
    """Where the smallest decay tried reads more than the next, the
    figure is a lower bound and says so; a tie goes to the larger decay and
    is not flagged."""
    train = clusters(40, 4, 16, 0.3, seed=0)
    val = clusters(40, 4, 16, 0.3, seed=1)
    # A decay of 1e3 leaves the weights near zero: the bias alone decides.
    edge = linear_probe_evaluate(*train, *val, weight_decays=(1e-3, 1e3))
    assert edge['weight_decay'] == 1e-3
    assert edge['holdout_top1'][1e-3] > edge['holdout_top1'][1e3]
    assert edge['weight_decay_at_edge']
    tie = linear_probe_evaluate(*train, *val, weight_decays=(1e-4, 1e-3))
    assert tie['holdout_top1'][1e-4] == tie['holdout_top1'][1e-3]
    assert tie['weight_decay'] == 1e-3 and not tie['weight_decay_at_edge']
    alone = linear_probe_evaluate(*train, *val, weight_decays=(1e-3, ))
    assert not alone['weight_decay_at_edge']


def test_labels_the_features_do_not_carry_stay_at_chance():
    """Random labels: the classifier fits the training noise, not the
    validation labels (chance 25 %)."""
    gen = torch.Generator().manual_seed(0)
    train = (torch.randn(400, 32, generator=gen),
             torch.randint(0, 4, (400, ), generator=gen))
    val = (torch.randn(400, 32, generator=gen),
           torch.randint(0, 4, (400, ), generator=gen))
    assert linear_probe_evaluate(*train, *val)['top1'] < 35.


def test_overlapping_classes_beat_chance_but_not_perfectly():
    train = clusters(100, 4, 16, 0.8, seed=0)
    val = clusters(100, 4, 16, 0.8, seed=1)
    top1 = linear_probe_evaluate(*train, *val)['top1']
    assert 40. < top1 < 100.


def test_fit_converges_to_the_regularised_optimum():
    """The gradient of cross-entropy + wd / 2 ||W||^2 vanishes at the
    returned weights: the figure does not depend on when SGD stopped."""
    feats, labels = clusters(50, 3, 8, 0.7, seed=0)
    weight, bias = fit_logistic_regression(feats, labels, 3, 1e-3)
    weight.requires_grad_(True)
    bias.requires_grad_(True)
    loss = F.cross_entropy(feats.double() @ weight.t() + bias, labels)
    (loss + 0.5e-3 * weight.pow(2).sum()).backward()
    assert weight.grad.abs().max() < 1e-5 and bias.grad.abs().max() < 1e-5


def test_feature_scale_does_not_change_the_result():
    """Standardised features: one weight-decay grid for every backbone."""
    train = clusters(30, 3, 8, 0.9, seed=0)
    val = clusters(30, 3, 8, 0.9, seed=1)
    plain = linear_probe_evaluate(*train, *val)
    scaled = linear_probe_evaluate(train[0] * 1000 + 5, train[1],
                                   val[0] * 1000 + 5, val[1])
    assert plain['top1'] == scaled['top1']
    assert plain['weight_decay'] == scaled['weight_decay']


def test_bad_arguments_are_refused():
    train = clusters(5, 2, 4, 0.1, seed=0)
    with pytest.raises(ValueError, match=r'holdout must be in \(0, 1\)'):
        linear_probe_evaluate(*train, *train, holdout=1.)
    with pytest.raises(ValueError, match='weight_decays is empty'):
        linear_probe_evaluate(*train, *train, weight_decays=())
