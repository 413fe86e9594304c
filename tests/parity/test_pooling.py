"""Parity with torch for max/avg/lp/adaptive/fractional pooling and max_unpool."""
import numpy as np
import pytest

import ember
from ember._ops import pooling as EF
from tests.helpers import needs_torch, to_ember, assert_same, torch

pytestmark = needs_torch
if torch is not None:
    import torch.nn.functional as TF


def _rand(shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def parity(fe, ft, x, rtol=1e-5, atol=1e-6, grad=True):
    """Outputs (incl. returned indices) and the input gradient of fe (ember) against ft (torch)."""
    xe = ember.from_numpy(x.copy()).requires_grad_(grad)
    xt = torch.from_numpy(x.copy()).requires_grad_(grad)
    re, rt = fe(xe), ft(xt)
    if isinstance(rt, tuple):
        assert_same(re[1], rt[1])
        re, rt = re[0], rt[0]
    assert_same(re, rt, rtol=rtol, atol=atol)
    if grad:
        g = torch.from_numpy(_rand(tuple(rt.shape), seed=7, dtype=x.dtype))
        rt.backward(g)
        re.backward(to_ember(g))
        assert_same(xe.grad, xt.grad, rtol=rtol, atol=atol)
    return re


def grad_checks(fn, *arrays):
    inputs = tuple(ember.from_numpy(a.astype(np.float64)).requires_grad_() for a in arrays)

    def with_grad(*a):
        with ember.enable_grad():
            return fn(*a)
    assert ember.autograd.gradcheck(fn, inputs)
    assert ember.autograd.gradgradcheck(with_grad, inputs)


MAX2D = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, ceil_mode=True),
    dict(kernel_size=(2, 3), stride=(1, 2), dilation=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=(3, 1), stride=1),
]


@pytest.mark.parametrize("kw", MAX2D)
@pytest.mark.parametrize("indices", [False, True])
def test_max_pool2d(kw, indices):
    r = parity(lambda x: EF.max_pool2d(x, return_indices=indices, **kw),
               lambda x: TF.max_pool2d(x, return_indices=indices, **kw), _rand((2, 3, 7, 6)))
    assert r.grad_fn.name() == "MaxPool2DWithIndicesBackward0"


def test_max_pool1d_3d_unbatched_noncontiguous():
    parity(lambda x: EF.max_pool1d(x, 3, 2, 1, return_indices=True),
           lambda x: TF.max_pool1d(x, 3, 2, 1, return_indices=True), _rand((2, 3, 9)))
    parity(lambda x: EF.max_pool1d(x, 2, ceil_mode=True), lambda x: TF.max_pool1d(x, 2, ceil_mode=True), _rand((3, 7)))
    parity(lambda x: EF.max_pool3d(x, (2, 3, 2), stride=(1, 2, 2), padding=1, return_indices=True),
           lambda x: TF.max_pool3d(x, (2, 3, 2), stride=(1, 2, 2), padding=1, return_indices=True), _rand((2, 2, 4, 5, 5)))
    parity(lambda x: EF.max_pool2d(x, 2, return_indices=True), lambda x: TF.max_pool2d(x, 2, return_indices=True),
           _rand((3, 6, 5)))
    parity(lambda x: EF.max_pool2d(x.transpose(2, 3), 2), lambda x: TF.max_pool2d(x.transpose(2, 3), 2), _rand((2, 3, 6, 8)))


def test_max_pool_ties_nan_integers():
    ties = (np.arange(2 * 2 * 6 * 6).reshape(2, 2, 6, 6) % 3).astype(np.float32)
    parity(lambda x: EF.max_pool2d(x, 3, 2, 1, return_indices=True),
           lambda x: TF.max_pool2d(x, 3, 2, 1, return_indices=True), ties)
    nan = _rand((1, 2, 4, 4))
    nan[0, 0, 1, 1] = nan[0, 0, 0, 1] = nan[0, 1, 3, 3] = np.nan
    parity(lambda x: EF.max_pool2d(x, 2, return_indices=True), lambda x: TF.max_pool2d(x, 2, return_indices=True),
           nan, grad=False)
    neg_inf = np.full((1, 1, 3, 3), -np.inf, dtype=np.float32)
    parity(lambda x: EF.max_pool2d(x, 2, padding=1, return_indices=True),
           lambda x: TF.max_pool2d(x, 2, padding=1, return_indices=True), neg_inf, grad=False)
    ints = np.arange(2 * 16).reshape(2, 1, 4, 4) % 5
    assert_same(EF.max_pool2d(ember.from_numpy(ints), 2), TF.max_pool2d(torch.from_numpy(ints), 2))


AVG = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    dict(kernel_size=(2, 3), stride=(2, 1), padding=(1, 0), divisor_override=5),
]


@pytest.mark.parametrize("kw", AVG)
def test_avg_pool2d(kw):
    r = parity(lambda x: EF.avg_pool2d(x, **kw), lambda x: TF.avg_pool2d(x, **kw), _rand((2, 3, 7, 6)))
    assert r.grad_fn.name() == "AvgPool2DBackward0"


def test_avg_pool1d_3d_unbatched():
    parity(lambda x: EF.avg_pool1d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
           lambda x: TF.avg_pool1d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False), _rand((2, 3, 8)))
    parity(lambda x: EF.avg_pool3d(x, 2, padding=1), lambda x: TF.avg_pool3d(x, 2, padding=1), _rand((2, 2, 3, 4, 5)))
    parity(lambda x: EF.avg_pool2d(x, 2), lambda x: TF.avg_pool2d(x, 2), _rand((3, 4, 4)))


def test_lp_pool():
    parity(lambda x: EF.lp_pool2d(x, 2, 2), lambda x: TF.lp_pool2d(x, 2, 2), _rand((2, 3, 6, 5)))
    parity(lambda x: EF.lp_pool1d(x, 3, 3, stride=2), lambda x: TF.lp_pool1d(x, 3, 3, stride=2),
           np.abs(_rand((2, 3, 8))) + 0.1)


@pytest.mark.parametrize("size", [1, (3, 4), (5, None), 7, (2, 9)])
def test_adaptive_pool2d(size):
    x = _rand((2, 3, 7, 6))
    parity(lambda a: EF.adaptive_avg_pool2d(a, size), lambda a: TF.adaptive_avg_pool2d(a, size), x)
    parity(lambda a: EF.adaptive_max_pool2d(a, size, return_indices=True),
           lambda a: TF.adaptive_max_pool2d(a, size, return_indices=True), x)


def test_adaptive_pool1d_3d_unbatched():
    parity(lambda a: EF.adaptive_avg_pool1d(a, 4), lambda a: TF.adaptive_avg_pool1d(a, 4), _rand((2, 3, 9)))
    parity(lambda a: EF.adaptive_max_pool1d(a, 4, True), lambda a: TF.adaptive_max_pool1d(a, 4, True), _rand((2, 3, 9)))
    parity(lambda a: EF.adaptive_avg_pool3d(a, (2, 3, 1)), lambda a: TF.adaptive_avg_pool3d(a, (2, 3, 1)),
           _rand((2, 2, 3, 5, 4)))
    parity(lambda a: EF.adaptive_max_pool3d(a, (2, 3, 1), True), lambda a: TF.adaptive_max_pool3d(a, (2, 3, 1), True),
           _rand((2, 2, 3, 5, 4)))
    parity(lambda a: EF.adaptive_avg_pool2d(a, 2), lambda a: TF.adaptive_avg_pool2d(a, 2), _rand((3, 5, 5)))
    parity(lambda a: EF.adaptive_max_pool2d(a, 2), lambda a: TF.adaptive_max_pool2d(a, 2), _rand((3, 5, 5)))


def test_fractional_max_pool():
    s = np.random.default_rng(3).random((2, 3, 2)).astype(np.float32)
    for kw in (dict(output_size=(4, 3)), dict(output_ratio=(0.5, 0.6)), dict(output_size=5)):
        parity(lambda x: EF.fractional_max_pool2d(x, 2, return_indices=True, _random_samples=ember.from_numpy(s), **kw),
               lambda x: TF.fractional_max_pool2d(x, 2, return_indices=True, _random_samples=torch.from_numpy(s), **kw),
               _rand((2, 3, 9, 7)))
    s3 = np.random.default_rng(4).random((2, 2, 3))
    parity(lambda x: EF.fractional_max_pool3d(x, (2, 1, 2), (3, 4, 2), return_indices=True,
                                              _random_samples=ember.from_numpy(s3)),
           lambda x: TF.fractional_max_pool3d(x, (2, 1, 2), (3, 4, 2), return_indices=True,
                                              _random_samples=torch.from_numpy(s3)),
           _rand((2, 2, 5, 6, 4), dtype=np.float64))
    x = ember.from_numpy(_rand((2, 3, 8, 8)))
    ember.manual_seed(0)
    a = EF.fractional_max_pool2d(x, 3, output_size=4)
    ember.manual_seed(0)
    b = EF.fractional_max_pool2d(x, 3, output_size=4)
    assert a.shape == (2, 3, 4, 4) and np.array_equal(a.numpy(), b.numpy())


def test_max_unpool():
    x = _rand((2, 3, 7, 6))
    for k, s, p, size in ((2, None, 0, None), (3, 2, 1, (7, 6)), (3, 2, 0, (7, 6))):
        out, idx = TF.max_pool2d(torch.from_numpy(x), k, s, p, return_indices=True)
        parity(lambda a: EF.max_unpool2d(a, to_ember(idx), k, s, p, size),
               lambda a: TF.max_unpool2d(a, idx, k, s, p, size), out.numpy())
    out, idx = TF.max_pool1d(torch.from_numpy(x[0]), 2, return_indices=True)
    parity(lambda a: EF.max_unpool1d(a, to_ember(idx), 2), lambda a: TF.max_unpool1d(a, idx, 2), out.numpy())
    x3 = _rand((1, 2, 4, 4, 4))
    out, idx = TF.max_pool3d(torch.from_numpy(x3), 2, return_indices=True)
    parity(lambda a: EF.max_unpool3d(a, to_ember(idx), 2), lambda a: TF.max_unpool3d(a, idx, 2), out.numpy())


def test_gradchecks():
    grad_checks(lambda x: EF.max_pool2d(x, 2, 1, padding=1), _rand((1, 2, 3, 3)))
    grad_checks(lambda x: EF.max_pool1d(x, 3, 2, ceil_mode=True), _rand((1, 2, 6)))
    grad_checks(lambda x: EF.avg_pool2d(x, 2, 1, padding=1, count_include_pad=False), _rand((1, 2, 3, 3)))
    grad_checks(lambda x: EF.avg_pool1d(x, 3, 2, 1, ceil_mode=True), _rand((1, 2, 6)))
    grad_checks(lambda x: EF.lp_pool2d(x, 2, 2), _rand((1, 1, 4, 4)))
    grad_checks(lambda x: EF.adaptive_avg_pool2d(x, (2, 3)), _rand((1, 2, 3, 4)))
    grad_checks(lambda x: EF.adaptive_max_pool2d(x, (2, 3)), _rand((1, 2, 3, 4)))
    s = ember.from_numpy(np.random.default_rng(3).random((1, 2, 2)))
    grad_checks(lambda x: EF.fractional_max_pool2d(x, 2, (2, 2), _random_samples=s), _rand((1, 2, 4, 4)))
    idx = ember.from_numpy(np.array([[[[0, 3], [9, 10]]]]))
    grad_checks(lambda x: EF.max_unpool2d(x, idx, 2), _rand((1, 1, 2, 2)))


def _same_error(fe, ft):
    with pytest.raises(Exception) as t_err:
        ft()
    with pytest.raises(type(t_err.value)) as e_err:
        fe()
    assert str(e_err.value) == str(t_err.value)


@pytest.mark.parametrize("case", [
    lambda F, T: F.max_pool2d(T(1, 3, 5, 5), 2, 0),
    lambda F, T: F.max_pool2d(T(1, 3, 5, 5), 3, padding=2),
    lambda F, T: F.max_pool2d(T(1, 3, 5, 5), 2, dilation=0),
    lambda F, T: F.max_pool2d(T(1, 3, 5, 5), (1, 2, 3)),
    lambda F, T: F.max_pool2d(T(1, 3, 5, 5), 2, stride=(1, 2, 3)),
    lambda F, T: F.max_pool2d(T(5, 5), 2),
    lambda F, T: F.max_pool2d(T(1, 3, 1, 1), 2),
    lambda F, T: F.max_pool1d(T(5), 2),
    lambda F, T: F.max_pool3d(T(1, 3, 1, 1, 1), 2),
    lambda F, T: F.avg_pool2d(T(1, 3, 5, 5), 3, padding=2),
    lambda F, T: F.avg_pool2d(T(1, 3, 1, 1), 2),
    lambda F, T: F.avg_pool2d(T(1, 3, 5, 5), 2, divisor_override=0),
    lambda F, T: F.adaptive_avg_pool2d(T(5), 2),
    lambda F, T: F.adaptive_max_pool2d(T(5), 2),
    lambda F, T: F.adaptive_avg_pool2d(T(1, 3, 5, 5), (2, 3, 4)),
    lambda F, T: F.fractional_max_pool2d(T(1, 3, 5, 5), 2),
    lambda F, T: F.fractional_max_pool2d(T(1, 3, 5, 5), 2, output_size=5),
    lambda F, T: F.max_unpool2d(T(1, 1, 2, 2), T(1, 1, 2, 2).long(), 2, output_size=(9, 9)),
    lambda F, T: F.max_unpool2d(T(1, 1, 2, 2), T(1, 1, 2, 2).long() + 17, 2),
])
def test_errors(case):
    _same_error(lambda: case(EF, ember.zeros), lambda: case(TF, torch.zeros))


@pytest.mark.parametrize("k", [2, 3, (2, 3), (1, 5)])
def test_max_pool_tiled_fast_path(k):
    """kernel == stride windows (the pairwise max/arg path and the multiply-scatter backward): ties
    from ReLU zeros, plateaus, float64, remainders that no window covers."""
    x = np.maximum(_rand((2, 3, 12, 15)), 0)
    x[0, 0, :6, :6] = 1.5                                  # plateaus across whole windows
    parity(lambda a: EF.max_pool2d(a, k, return_indices=True), lambda a: TF.max_pool2d(a, k, return_indices=True), x)
    parity(lambda a: EF.max_pool2d(a, k), lambda a: TF.max_pool2d(a, k), _rand((2, 2, 13, 16), 3))   # remainder
    parity(lambda a: EF.max_pool2d(a, k), lambda a: TF.max_pool2d(a, k), _rand((1, 2, 9, 10), 4, np.float64))
    parity(lambda a: EF.max_pool1d(a, 3, return_indices=True), lambda a: TF.max_pool1d(a, 3, return_indices=True),
           np.round(_rand((2, 3, 14), 5)))
    parity(lambda a: EF.max_pool3d(a, 2, return_indices=True), lambda a: TF.max_pool3d(a, 2, return_indices=True),
           np.round(_rand((1, 2, 4, 6, 5), 6)))


def test_max_pool_tiled_nan_and_inf_grad():
    x = _rand((1, 2, 6, 6))
    x[0, 0, 0, 1] = np.nan
    x[0, 0, 1, 0] = np.nan                                 # two NaNs in one window: the last wins
    x[0, 1, 2, 2] = np.nan
    parity(lambda a: EF.max_pool2d(a, 2, return_indices=True), lambda a: TF.max_pool2d(a, 2, return_indices=True), x)
    xe = ember.from_numpy(_rand((1, 1, 4, 4))).requires_grad_()
    xt = torch.from_numpy(_rand((1, 1, 4, 4))).requires_grad_()
    g = np.ones((1, 1, 2, 2), np.float32)
    g[0, 0, 0, 0] = np.inf
    g[0, 0, 1, 1] = np.nan
    EF.max_pool2d(xe, 2).backward(ember.from_numpy(g))
    TF.max_pool2d(xt, 2).backward(torch.from_numpy(g))
    assert_same(xe.grad, xt.grad)


def test_max_pool_tiled_gradchecks():
    grad_checks(lambda x: EF.max_pool2d(x, 2), _rand((1, 2, 4, 6)))
    grad_checks(lambda x: EF.max_pool2d(x, 3), _rand((1, 1, 6, 7)))


def test_max_pool_overlapping_separable_and_bincount():
    # ResNet's stem pool (3, 2, 1): separable forward, weighted-bincount backward
    parity(lambda x: EF.max_pool2d(x, 3, 2, 1, return_indices=True),
           lambda x: TF.max_pool2d(x, 3, 2, 1, return_indices=True), _rand((2, 4, 16, 15)))
    # ties across rows and columns: the first maximal element in window order wins
    ties = (np.random.default_rng(3).integers(0, 2, (2, 3, 9, 8))).astype(np.float32)
    for kw in (dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=(3, 2), stride=1, padding=1),
               dict(kernel_size=(2, 3), stride=1, dilation=(2, 1), padding=1, ceil_mode=True)):
        parity(lambda x: EF.max_pool2d(x, return_indices=True, **kw),
               lambda x: TF.max_pool2d(x, return_indices=True, **kw), ties)
    # -inf windows next to padding (and NaNs) must not let the padding win
    x = _rand((1, 2, 7, 7))
    x[0, 0, :3, :3] = -np.inf
    x[0, 1, 4:, 4:] = -np.inf
    x[0, 1, 0, 0] = x[0, 0, 5, 2] = np.nan
    parity(lambda a: EF.max_pool2d(a, 3, 2, 1, return_indices=True),
           lambda a: TF.max_pool2d(a, 3, 2, 1, return_indices=True), x, grad=False)
    ints = np.random.default_rng(4).integers(-3, 3, (2, 2, 7, 7))
    ints[0, 0, :2, :2] = np.iinfo(ints.dtype).min
    assert_same(EF.max_pool2d(ember.from_numpy(ints), 3, 2, 1, return_indices=True)[1],
                TF.max_pool2d(torch.from_numpy(ints), 3, 2, 1, return_indices=True)[1])
    parity(lambda x: EF.max_pool3d(x, 3, 2, 1, return_indices=True),
           lambda x: TF.max_pool3d(x, 3, 2, 1, return_indices=True), _rand((1, 2, 5, 6, 7)))
    parity(lambda x: EF.max_pool1d(x, 3, 1, 1, return_indices=True),
           lambda x: TF.max_pool1d(x, 3, 1, 1, return_indices=True), _rand((2, 3, 10)))
    grad_checks(lambda a: EF.max_pool2d(a, 3, 2, 1), _rand((1, 2, 7, 6)))
    grad_checks(lambda a: EF.max_pool3d(a, (2, 3, 3), 1, 1), _rand((1, 1, 3, 4, 4)))


@pytest.mark.parametrize("kw", MAX2D + [dict(kernel_size=(2, 3, 2), stride=(1, 2, 2), padding=1)])
def test_max_pool_values_only_path(kw):
    """Without indices or autograd, max pooling takes the values-only (separable) path."""
    x = _rand((2, 3, 4, 7, 6) if isinstance(kw["kernel_size"], tuple) and len(kw["kernel_size"]) == 3
              else (2, 3, 7, 6))
    x[0, 0, ..., 1, 1] = np.nan                      # NaN propagates as in torch
    fe, ft = (EF.max_pool3d, TF.max_pool3d) if x.ndim == 5 else (EF.max_pool2d, TF.max_pool2d)
    with ember.no_grad():
        assert_same(fe(ember.from_numpy(x), **kw), ft(torch.from_numpy(x), **kw))
