import numpy as np
import pytest
from mmcv.transforms import Compose
from mmengine.registry import init_default_scope

from dilemma_mm.datasets.transforms import TokenDropTransform
from dilemma_mm.registry import TRANSFORMS

# (height, width, patch): even, odd and non-square grids
GRIDS = [(32, 32, 8), (24, 24, 8), (40, 56, 8), (48, 32, 16)]


def _img(h: int, w: int) -> np.ndarray:
    return np.zeros((h, w, 3), np.uint8)


def _draw(transform, h, w, n):
    """``n`` (keep, pos) pairs for an ``h`` x ``w`` image."""
    out = [transform(dict(img=_img(h, w))) for _ in range(n)]
    return [(r['keep'], r['pos']) for r in out]


def test_build_from_registry():
    init_default_scope('dilemma_mm')
    transform = TRANSFORMS.build(
        dict(
            type='TokenDropTransform',
            drop_ratio=0.5,
            misplace_prob=0.1,
            patch_size=8))
    assert isinstance(transform, TokenDropTransform)
    assert 'drop_ratio=0.5' in repr(transform)


@pytest.mark.parametrize('h,w,patch', GRIDS)
@pytest.mark.parametrize('drop_ratio', [0., 0.3, 0.75])
def test_exact_k_sorted_unique(h, w, patch, drop_ratio):
    np.random.seed(0)
    transform = TokenDropTransform(drop_ratio, 0.2, patch)
    num_tokens = (h // patch) * (w // patch)
    num_keep = int(num_tokens * (1 - drop_ratio))
    for keep, pos in _draw(transform, h, w, 20):
        assert keep.dtype == np.int64 and pos.dtype == np.int64
        assert keep.shape == pos.shape == (num_keep, )
        assert np.all(np.diff(keep) > 0)  # sorted and unique
        assert keep.min() >= 0 and keep.max() < num_tokens
        assert pos.min() >= 0 and pos.max() < num_tokens
    if drop_ratio == 0:
        np.testing.assert_array_equal(keep, np.arange(num_tokens))


@pytest.mark.parametrize('drop_ratio,p', [(0., 0.2), (0.75, 0.2), (0.5, 0.6)])
def test_misplaced_fraction_within_binomial_bounds(drop_ratio, p):
    np.random.seed(1)
    transform = TokenDropTransform(drop_ratio, p, 8)
    pairs = _draw(transform, 32, 32, 400)
    num = sum(len(keep) for keep, _ in pairs)
    misplaced = sum(int((pos != keep).sum()) for keep, pos in pairs)
    # 5 sigma of Binomial(num, p): fails if self-positions were allowed
    # (they would hide misplacements) or if p were ignored
    assert abs(misplaced - num * p) < 5 * np.sqrt(num * p * (1 - p))


@pytest.mark.parametrize('h,w,patch', GRIDS)
@pytest.mark.parametrize('drop_ratio', [0., 0.25, 0.75])
def test_never_own_position(monkeypatch, h, w, patch, drop_ratio):
    """Force every kept token to be misplaced: none may keep its position,
    in the dense case, with too few and with enough dropped positions."""
    monkeypatch.setattr(np.random, 'rand', lambda n: np.zeros(n))
    np.random.seed(2)
    transform = TokenDropTransform(drop_ratio, 0.5, patch)
    for keep, pos in _draw(transform, h, w, 50):
        assert np.all(pos != keep)


def test_dense_wrong_positions_cover_all_others():
    """Dense fallback: uniform over the other positions (all reachable)."""
    np.random.seed(3)
    transform = TokenDropTransform(0., 0.5, 8)  # 3 x 3 grid
    seen = {}
    for keep, pos in _draw(transform, 24, 24, 400):
        for k, p in zip(keep[pos != keep], pos[pos != keep]):
            seen.setdefault(int(k), set()).add(int(p))
    assert all(seen[k] == set(range(9)) - {k} for k in range(9))


@pytest.mark.parametrize('h,w,patch', GRIDS)
@pytest.mark.parametrize('drop_ratio,p', [(0.5, 0.9), (0.75, 0.5),
                                          (0.25, 0.3)])
def test_no_shared_position_when_enough_dropped(h, w, patch, drop_ratio, p):
    np.random.seed(4)
    transform = TokenDropTransform(drop_ratio, p, patch)
    num_tokens = (h // patch) * (w // patch)
    checked = 0
    for keep, pos in _draw(transform, h, w, 100):
        misplaced = pos != keep
        if misplaced.sum() <= num_tokens - len(keep):
            checked += 1
            assert len(np.unique(pos)) == len(pos)
            # wrong positions are dropped ones, never another kept token's
            assert not np.isin(pos[misplaced], keep).any()
    assert checked > 0


def test_same_seed_same_masks():
    transform = TokenDropTransform(0.5, 0.3, 8)
    views = [_img(32, 32), _img(16, 16)]
    np.random.seed(7)
    first = transform(dict(img=list(views)))
    np.random.seed(7)
    second = transform(dict(img=list(views)))
    third = transform(dict(img=list(views)))
    for key in ('keep', 'pos'):
        for a, b in zip(first[key], second[key]):
            np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b)
               for a, b in zip(first['keep'], third['keep']))


def test_views_have_their_own_grid():
    """After MultiView: one (keep, pos) per view, from the view's size."""
    np.random.seed(0)
    pipeline = Compose([
        dict(
            type='MultiView',
            num_views=[1, 2],
            transforms=[[], [dict(type='Resize', scale=(16, 16))]]),
        TokenDropTransform(0.5, 0.2, 8),
        dict(type='PackInputs', algorithm_keys=['keep', 'pos']),
    ])
    packed = pipeline(dict(img=np.zeros((32, 32, 3), np.uint8)))
    sample = packed['data_samples']
    assert [len(k) for k in sample.keep] == [8, 2, 2]
    assert [len(p) for p in sample.pos] == [8, 2, 2]
    assert all(k.max() < 4 for k in sample.keep[1:])


@pytest.mark.parametrize(
    'kwargs,size,match',
    [(dict(drop_ratio=1.), 32, 'drop_ratio'),
     (dict(drop_ratio=-0.1), 32, 'drop_ratio'),
     (dict(misplace_prob=1.), 32, 'misplace_prob'),
     (dict(misplace_prob=-0.5), 32, 'misplace_prob'),
     (dict(drop_ratio=0.9), 16, 'leaves no token'),
     (dict(drop_ratio=0.5), 36, 'multiple of the patch'),
     (dict(drop_ratio=0., misplace_prob=0.5), 8, 'at least 2')])
def test_errors(kwargs, size, match):
    with pytest.raises(ValueError, match=match):
        TokenDropTransform(patch_size=8, **kwargs)(dict(img=_img(size, size)))
