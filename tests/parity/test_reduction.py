"""Parity with PyTorch for reductions, scans, sorting/selection and unique/bincount/histc."""

import numpy as np
import pytest

import ember
from tests.helpers import needs_torch, to_ember, assert_same

try:
    import torch
except ImportError:
    torch = None

pytestmark = needs_torch


# ---- helpers ---------------------------------------------------------------------------------
def distinct(*shape, dtype="float64", seed=0):
    """Values without ties, spaced well apart (safe for selection ops and finite differences)."""
    n = int(np.prod(shape))
    rng = np.random.default_rng(seed)
    return ((rng.permutation(n) - n / 2) * 0.37 + 0.1).reshape(shape).astype(dtype)


def rand(*shape, dtype="float64", seed=0, low=-2.0, high=2.0):
    return np.random.default_rng(seed).uniform(low, high, shape).astype(dtype)


def _outs(o):
    return list(o) if isinstance(o, tuple) else [o]


def check(fn, *arrays, grad=True, rtol=1e-5, atol=1e-6):
    """fn(module, *tensors) with torch and ember on the same data: same outputs, same input gradients."""
    tt = [torch.from_numpy(np.array(a)) for a in arrays]
    diff = [grad and t.dtype.is_floating_point for t in tt]
    tt = [t.requires_grad_(d) for t, d in zip(tt, diff)]
    et = [to_ember(t) for t in tt]
    t_out, e_out = fn(torch, *tt), fn(ember, *et)
    if isinstance(t_out, tuple):
        assert isinstance(e_out, tuple) and len(e_out) == len(t_out)
        if hasattr(t_out, "_fields") or type(t_out).__module__ == "torch.return_types":
            assert type(e_out).__name__ == type(t_out).__name__
            assert tuple(e_out._fields) == tuple(t_out._fields) if hasattr(t_out, "_fields") else True
    for e, t in zip(_outs(e_out), _outs(t_out)):
        assert_same(e, t, rtol=rtol, atol=atol)
    if not any(diff):
        return
    rng = np.random.default_rng(1)
    t_loss, e_loss = 0, 0
    for e, t in zip(_outs(e_out), _outs(t_out)):
        if t.requires_grad:
            w = rng.standard_normal(tuple(t.shape)).astype(np.float64)
            t_loss = t_loss + (t * torch.from_numpy(w).to(t.dtype)).sum()
            e_loss = e_loss + (e * ember.from_numpy(w).to(e.dtype)).sum()
    if not torch.is_tensor(t_loss):
        return
    t_loss.backward()
    e_loss.backward()
    for e, t, d in zip(et, tt, diff):
        if d and t.grad is None:
            assert e.grad is None or not e.grad.detach().numpy().any()
        elif d:
            assert e.grad is not None, "missing gradient"
            assert_same(e.grad, t.grad, rtol=rtol, atol=atol)


def float_outputs(fn):
    """Only the differentiable outputs, for gradcheck. Built with grad enabled: gradgradcheck's
    finite differences call it under no_grad and still need the first-order graph."""
    def wrapped(*xs):
        with ember.enable_grad():
            outs = tuple(o for o in _outs(fn(ember, *xs)) if o.dtype.is_floating_point)
        return outs[0] if len(outs) == 1 else outs
    return wrapped


def gradchecks(fn, *arrays):
    xs = tuple(ember.from_numpy(np.array(a, dtype=np.float64)).requires_grad_() for a in arrays)
    f = float_outputs(fn)
    assert ember.autograd.gradcheck(f, xs, eps=1e-6, atol=1e-5)
    assert ember.autograd.gradgradcheck(f, xs, eps=1e-6, atol=1e-5)


# ---- forward + gradient parity table ---------------------------------------------------------
X34, X234 = distinct(3, 4), distinct(2, 3, 4)
TIES = np.array([[1.0, 3.0, 3.0, 0.5], [2.0, 2.0, -1.0, 2.0], [0.0, 0.0, 0.0, 0.0]])
ZEROS1 = np.array([[1.5, 0.0, 2.0], [0.5, -2.0, 3.0]])
ZEROS2 = np.array([[0.0, 0.0, 2.0], [1.5, 0.0, 3.0]])
NANS = np.array([[1.0, np.nan, 3.0, 0.5], [np.nan, np.nan, 2.0, -1.0], [4.0, 5.0, 6.0, 7.0]])
S0 = np.array(1.7)
EMPTY = np.zeros((0, 3))
INTS = np.array([[3, 1, 2], [0, 5, 5]], dtype=np.int64)
BOOLS = np.array([[True, False, True], [True, True, True]])

CASES = [
    # name, fn(module, x), input
    ("sum", lambda m, x: x.sum(), X34),
    ("sum_dim", lambda m, x: x.sum(1), X34),
    ("sum_dims_keep", lambda m, x: m.sum(x, (0, -1), keepdim=True), X234),
    ("sum_list", lambda m, x: x.sum([-1]), X234),
    ("sum_dtype", lambda m, x: x.sum(dtype=m.float32), X34),
    ("sum_noncontig", lambda m, x: x.transpose(0, 1).sum(0), X234),
    ("sum_0d", lambda m, x: x.sum(0), S0),
    ("sum_empty", lambda m, x: x.sum(0), EMPTY),
    ("sum_int", lambda m, x: x.sum(1), INTS),
    ("sum_bool", lambda m, x: x.sum(), BOOLS),
    ("sum_f32", lambda m, x: x.sum(-1), X34.astype(np.float32)),
    ("sum_f16", lambda m, x: x.sum(), X34.astype(np.float16)),
    ("sum_dtype_int32", lambda m, x: x.sum(0, dtype=m.int32), INTS),
    ("mean", lambda m, x: x.mean(), X34),
    ("mean_dims", lambda m, x: x.mean((0, 2), keepdim=True), X234),
    ("mean_empty", lambda m, x: x.mean(1), EMPTY),
    ("mean_int_dtype", lambda m, x: x.mean(dtype=m.float64), INTS),
    ("nansum", lambda m, x: m.nansum(x, 1), NANS),
    ("nansum_all", lambda m, x: x.nansum(), NANS),
    ("nanmean", lambda m, x: x.nanmean(0), NANS),
    ("nanmean_all", lambda m, x: m.nanmean(x), NANS),
    ("prod", lambda m, x: x.prod(), X34 / 2),
    ("prod_dim", lambda m, x: x.prod(1), X234 / 2),
    ("prod_keep", lambda m, x: m.prod(x, -2, keepdim=True), X234 / 2),
    ("prod_zero", lambda m, x: x.prod(1), ZEROS1),
    ("prod_zero_all", lambda m, x: x.prod(), ZEROS1),
    ("prod_zeros2", lambda m, x: x.prod(1), ZEROS2),
    ("prod_zeros2_dim0", lambda m, x: x.prod(0), ZEROS2),
    ("prod_int", lambda m, x: x.prod(0), INTS),
    ("prod_bool", lambda m, x: x.prod(), BOOLS),
    ("max", lambda m, x: x.max(), X34),
    ("max_ties", lambda m, x: m.max(x), TIES),
    ("max_dim", lambda m, x: x.max(1), X234),
    ("max_dim_keep", lambda m, x: m.max(x, -1, keepdim=True), X234),
    ("max_dim_ties", lambda m, x: x.max(dim=1), TIES),
    ("max_0d", lambda m, x: x.max(0), S0),
    ("max_int", lambda m, x: x.max(1), INTS),
    ("min", lambda m, x: x.min(), TIES),
    ("min_dim", lambda m, x: x.min(0), TIES),
    ("min_noncontig", lambda m, x: x.mT.min(-1), X34),
    ("amax", lambda m, x: m.amax(x, (0, 2)), X234),
    ("amax_ties", lambda m, x: x.amax(1, keepdim=True), TIES),
    ("amax_all", lambda m, x: x.amax(), TIES),
    ("amin", lambda m, x: x.amin(-1), TIES),
    ("aminmax", lambda m, x: m.aminmax(x), TIES),
    ("aminmax_dim", lambda m, x: x.aminmax(dim=1, keepdim=True), X34),
    ("argmax", lambda m, x: x.argmax(), TIES),
    ("argmax_dim", lambda m, x: m.argmax(x, 1), TIES),
    ("argmax_keep", lambda m, x: x.argmax(0, keepdim=True), X34),
    ("argmax_none_keep", lambda m, x: x.argmax(keepdim=True), X234),
    ("argmin", lambda m, x: x.argmin(-1), TIES),
    ("argmax_int", lambda m, x: x.argmax(1), INTS),
    ("var", lambda m, x: x.var(), X34),
    ("var_dim", lambda m, x: m.var(x, 1), X234),
    ("var_dims_keep", lambda m, x: x.var((0, 2), keepdim=True), X234),
    ("var_correction0", lambda m, x: x.var(1, correction=0), X34),
    ("var_correction2", lambda m, x: m.var(x, correction=2), X34),
    ("var_unbiased_false", lambda m, x: x.var(0, unbiased=False), X34),
    ("var_positional_unbiased", lambda m, x: m.var(x, False), X34),
    ("std", lambda m, x: x.std(), X34),
    ("std_dim", lambda m, x: m.std(x, -1, keepdim=True), X234),
    ("std_zero", lambda m, x: x.std(1), np.array([[1.0, 1.0, 1.0], [1.0, 2.0, 4.0]])),
    ("std_f32", lambda m, x: x.std(0), X34.astype(np.float32)),
    ("var_mean", lambda m, x: m.var_mean(x, 1), X34),
    ("std_mean", lambda m, x: m.std_mean(x, (0, 1), correction=0), X234),
    ("norm", lambda m, x: x.norm(), X34),
    ("norm_dim", lambda m, x: x.norm(dim=1), X234),
    ("norm_p1", lambda m, x: x.norm(1), X34),
    ("norm_p3", lambda m, x: m.norm(x, 3, dim=(0, 1)), X234),
    ("norm_pinf", lambda m, x: x.norm(float("inf"), dim=1, keepdim=True), X34),
    ("norm_ninf", lambda m, x: x.norm(-float("inf")), X34),
    ("norm_fro_dim", lambda m, x: x.norm("fro", dim=(1, 2)), X234),
    ("norm_p0", lambda m, x: x.norm(0), ZEROS1),
    ("norm_zero_vec", lambda m, x: x.norm(dim=1), np.array([[0.0, 0.0], [3.0, 4.0]])),
    ("logsumexp", lambda m, x: m.logsumexp(x, 1), X34),
    ("logsumexp_dims", lambda m, x: x.logsumexp((0, 2), keepdim=True), X234),
    ("logsumexp_large", lambda m, x: x.logsumexp(-1), X34 * 400),
    ("logsumexp_int", lambda m, x: m.logsumexp(x, 0), INTS),
    ("cumsum", lambda m, x: x.cumsum(1), X234),
    ("cumsum_neg", lambda m, x: m.cumsum(x, -1), X34),
    ("cumsum_int", lambda m, x: x.cumsum(0), INTS),
    ("cumsum_dtype", lambda m, x: x.cumsum(0, dtype=m.float32), X34),
    ("cumsum_0d", lambda m, x: x.cumsum(0), S0),
    ("cumprod", lambda m, x: x.cumprod(1), X34 / 2),
    ("cumprod_zero", lambda m, x: m.cumprod(x, 1), ZEROS1),
    ("cumprod_zeros2", lambda m, x: x.cumprod(-1), ZEROS2),
    ("cumprod_int", lambda m, x: x.cumprod(1), INTS),
    ("cummax", lambda m, x: x.cummax(1), X34),
    ("cummax_ties", lambda m, x: m.cummax(x, 1), TIES),
    ("cummin", lambda m, x: x.cummin(0), TIES),
    ("cummax_nan", lambda m, x: x.cummax(1), NANS),
    ("median_odd", lambda m, x: x.median(), distinct(3, 3)),
    ("median_even", lambda m, x: m.median(x), X34),
    ("median_dim", lambda m, x: x.median(1), X34),
    ("median_dim_keep", lambda m, x: x.median(0, keepdim=True), X234),
    ("median_nan", lambda m, x: x.median(1), NANS),
    ("median_nan_all", lambda m, x: x.median(), NANS),
    ("median_int", lambda m, x: x.median(1), INTS),
    ("nanmedian", lambda m, x: x.nanmedian(1), NANS),
    ("nanmedian_all", lambda m, x: m.nanmedian(x), NANS),
    ("mode", lambda m, x: x.mode(1), np.array([[1.0, 2, 2, 3, 3], [3, 1, 3, 1, 0]])),
    ("mode_dim0", lambda m, x: m.mode(x, 0), np.array([[1.0, 2], [1, 3], [2, 3]])),
    ("kthvalue", lambda m, x: x.kthvalue(2, 1), X34),
    ("kthvalue_keep", lambda m, x: m.kthvalue(x, 3, 0, keepdim=True), X34),
    ("topk", lambda m, x: x.topk(2), X234),
    ("topk_smallest", lambda m, x: m.topk(x, 3, dim=0, largest=False), X34),
    ("topk_k0", lambda m, x: x.topk(0), X34),
    ("sort", lambda m, x: x.sort(), X234),
    ("sort_desc", lambda m, x: m.sort(x, 0, descending=True), X34),
    ("sort_stable", lambda m, x: x.sort(dim=1, stable=True), TIES),
    ("sort_stable_desc", lambda m, x: x.sort(dim=1, descending=True, stable=True), TIES),
    ("sort_nan", lambda m, x: x.sort(1), NANS),
    ("sort_nan_desc", lambda m, x: x.sort(1, descending=True), NANS),
    ("sort_noncontig", lambda m, x: x.mT.sort(0), X34),
    ("sort_bool", lambda m, x: x.sort(dim=1, stable=True), BOOLS),
    ("median_ties_all", lambda m, x: x.median(), TIES),
    ("sort_0d", lambda m, x: x.sort(), S0),
    ("argsort", lambda m, x: x.argsort(1), X34),
    ("argsort_desc", lambda m, x: m.argsort(x, 0, descending=True), X34),
    ("msort", lambda m, x: m.msort(x), X34),
]


@pytest.mark.parametrize("fn,x", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_parity(fn, x):
    check(fn, x)


def test_max_min_binary():
    check(lambda m, x, y: (m.max(x, y), x.min(y)), X34, X34[::-1].copy())


# ---- bool-result reductions, counting, unique ------------------------------------------------
LOGICAL = [
    ("all", lambda m, x: x.all(), BOOLS),
    ("all_dim", lambda m, x: m.all(x, 1), BOOLS),
    ("any_dim_keep", lambda m, x: x.any(0, keepdim=True), BOOLS),
    ("all_float", lambda m, x: x.all(1), ZEROS1),
    ("any_float", lambda m, x: m.any(x), ZEROS1),
    ("any_uint8", lambda m, x: x.any(1), np.array([[0, 3], [0, 0]], dtype=np.uint8)),
    ("all_dims", lambda m, x: x.all((0, 1)), BOOLS),
    ("all_empty", lambda m, x: x.all(), EMPTY),
    ("any_0d", lambda m, x: x.any(0), S0),
    ("count_nonzero", lambda m, x: m.count_nonzero(x), ZEROS2),
    ("count_nonzero_dim", lambda m, x: x.count_nonzero(0), ZEROS2),
    ("count_nonzero_dims", lambda m, x: m.count_nonzero(x, (0, 1)), INTS),
    ("unique", lambda m, x: m.unique(x), INTS),
    ("unique_all", lambda m, x: x.unique(return_inverse=True, return_counts=True), INTS),
    ("unique_float", lambda m, x: m.unique(x, return_counts=True), TIES),
    ("unique_dim", lambda m, x: m.unique(x, dim=0, return_inverse=True, return_counts=True),
     np.array([[1, 2], [0, 1], [1, 2]])),
    ("unique_dim1", lambda m, x: x.unique(dim=1, return_inverse=True), np.array([[1, 0, 1], [2, 1, 2]])),
    ("unique_consecutive", lambda m, x: m.unique_consecutive(x, return_inverse=True, return_counts=True),
     np.array([[1, 1, 2], [2, 3, 1]])),
    ("unique_consecutive_dim", lambda m, x: x.unique_consecutive(dim=0, return_counts=True),
     np.array([[1, 2], [1, 2], [0, 1], [1, 2]])),
    ("bincount", lambda m, x: m.bincount(x), np.array([1, 4, 1, 0])),
    ("bincount_minlength", lambda m, x: x.bincount(minlength=7), np.array([1, 4, 1, 0])),
    ("bincount_empty", lambda m, x: x.bincount(), np.zeros(0, dtype=np.int64)),
    ("histc", lambda m, x: m.histc(x, bins=5), X34),
    ("histc_range", lambda m, x: x.histc(4, -1, 1), X34),
    ("histc_f32", lambda m, x: x.histc(3), X34.astype(np.float32)),
]


@pytest.mark.parametrize("fn,x", [c[1:] for c in LOGICAL], ids=[c[0] for c in LOGICAL])
def test_logical_and_counting(fn, x):
    check(fn, x, grad=False)


def test_bincount_weights():
    x = np.array([0, 2, 2, 5])
    for w in (np.array([0.5, 1.0, 2.0, 3.0], np.float32), np.array([1, 2, 3, 4])):
        check(lambda m, a, b: m.bincount(a, weights=b), x, w, grad=False)


def test_return_type_repr():
    r = ember.tensor([[1.0, 3.0], [2.0, 0.0]]).max(1)
    assert isinstance(r, tuple) and r.values is r[0] and r.indices is r[1]
    text = repr(r)
    assert text.startswith("ember.return_types.max(\nvalues=tensor(") and "\nindices=tensor([1, 0]))" in text
    assert type(r) is ember.return_types.max
    values, indices = ember.tensor([3.0, 1.0]).sort()
    assert indices.tolist() == [1, 0]


# ---- gradcheck / gradgradcheck (float64, small, distinct values) ------------------------------
G = distinct(2, 3, seed=3) / 2
GRAD_CASES = [
    ("sum", lambda m, x: x.sum(1)), ("mean", lambda m, x: x.mean((0, 1), keepdim=True)),
    ("nansum", lambda m, x: x.nansum(0)), ("nanmean", lambda m, x: x.nanmean(1)),
    ("prod", lambda m, x: x.prod(1)), ("prod_all", lambda m, x: x.prod()),
    ("max_dim", lambda m, x: x.max(1)), ("max_all", lambda m, x: x.max()),
    ("amin", lambda m, x: x.amin(0)), ("var", lambda m, x: x.var(1)), ("std", lambda m, x: x.std()),
    ("norm", lambda m, x: x.norm()), ("norm_p3", lambda m, x: x.norm(3, dim=1)),
    ("norm_p1", lambda m, x: x.norm(1)), ("norm_inf", lambda m, x: x.norm(float("inf"), dim=0)),
    ("logsumexp", lambda m, x: x.logsumexp(1)), ("cumsum", lambda m, x: x.cumsum(1)),
    ("cumprod", lambda m, x: x.cumprod(1)), ("cummax", lambda m, x: x.cummax(1)),
    ("median", lambda m, x: x.median(1)), ("median_all", lambda m, x: x.median()),
    ("kthvalue", lambda m, x: x.kthvalue(2, 1)), ("topk", lambda m, x: x.topk(2, 1)),
    ("sort", lambda m, x: x.sort(0, descending=True)), ("mode", lambda m, x: x.mode(1)),
]


@pytest.mark.parametrize("fn", [c[1] for c in GRAD_CASES], ids=[c[0] for c in GRAD_CASES])
def test_gradcheck(fn):
    gradchecks(fn, G)


def test_gradcheck_prod_with_zero():
    x = np.array([[1.5, 0.0, 2.0], [0.5, -2.0, 3.0]])
    gradchecks(lambda m, t: t.prod(1), x)
    gradchecks(lambda m, t: t.prod(), x)
    gradchecks(lambda m, t: t.cumprod(1), x)


# ---- errors ----------------------------------------------------------------------------------
def _same_error(fn, x):
    with pytest.raises(Exception) as te:
        fn(torch, torch.from_numpy(np.array(x)))
    with pytest.raises(type(te.value)) as ee:
        fn(ember, ember.from_numpy(np.array(x)))
    assert str(ee.value) == str(te.value)


@pytest.mark.parametrize("fn,x", [
    (lambda m, x: x.sum(2), X34),
    (lambda m, x: x.max(-3), X34),
    (lambda m, x: x.mean(), INTS),
    (lambda m, x: x.var(), INTS),
    (lambda m, x: x.max(), EMPTY),
    (lambda m, x: x.argmax(), EMPTY),
    (lambda m, x: x.max(0), EMPTY),
    (lambda m, x: x.kthvalue(5, 1), X34),
    (lambda m, x: x.topk(5), X34),
    (lambda m, x: x.sum((0, 0)), X34),
    (lambda m, x: m.logsumexp(x, 3), X34),
    (lambda m, x: x.cumsum(2), X34),
    (lambda m, x: m.linalg.vector_norm(x), INTS),
    (lambda m, x: x.bincount(), np.array([1, -1])),
    (lambda m, x: m.linalg.vector_norm(x, float("inf")), EMPTY),
], ids=["sum_dim", "max_dim", "mean_int", "var_int", "max_empty", "argmax_empty", "max_dim_empty", "kthvalue_k",
        "topk_k", "dup_dims", "logsumexp_dim", "cumsum_dim", "vector_norm_int", "bincount_negative",
        "vector_norm_inf_empty"])
def test_errors(fn, x):
    _same_error(fn, x)


def test_bad_dim_message():
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        ember.zeros(2, 3).sum(2)
