"""Loss functions of torch.nn.functional: values, dtype, shape, input/target gradients over every
reduction, weights, ignore_index, label smoothing, K-dim inputs, errors; float64 gradchecks."""
import warnings

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from tests.helpers import needs_torch, assert_same
from tests.parity.test_functional import arr, check, gradchecks

torch = pytest.importorskip("torch")
TF = torch.nn.functional
pytestmark = needs_torch

RNG = np.random.default_rng(1)
REDUCTIONS = ["none", "mean", "sum"]


def labels(*shape, C=4):
    return RNG.integers(0, C, shape)


def test_mse_seed():
    e = F.mse_loss(ember.tensor([12.0, 21, 30, 41, 52]), ember.tensor([10.0, 20, 30, 40, 50]))
    assert_same(e, torch.tensor(2.0))
    assert repr(e) == "tensor(2.)"
    n = F.mse_loss(ember.tensor([12.0, 21, 30, 41, 52]), ember.tensor([10.0, 20, 30, 40, 50]), reduction="none")
    assert_same(n, torch.tensor([4.0, 1, 0, 1, 4]))


POINTWISE = [
    ("l1_loss", {}), ("mse_loss", {}), ("smooth_l1_loss", {}), ("smooth_l1_loss", dict(beta=0.5)),
    ("smooth_l1_loss", dict(beta=0.0)), ("huber_loss", {}), ("huber_loss", dict(delta=0.4)),
    ("poisson_nll_loss", {}), ("poisson_nll_loss", dict(log_input=False, full=True)),
    ("kl_div", {}), ("kl_div", dict(log_target=True)),
]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,kw", POINTWISE, ids=[f"{n}{k}" for n, k in POINTWISE])
def test_pointwise_losses(name, kw, reduction):
    x, y = arr(3, 4), arr(3, 4)
    if name == "poisson_nll_loss" and not kw.get("log_input", True):
        x, y = arr(3, 4, lo=0.1, hi=3), arr(3, 4, lo=0, hi=4)
    if name == "kl_div" and not kw.get("log_target"):
        y = arr(3, 4, lo=0, hi=1)
        y0 = y.copy()
        y0[0, 0] = 0     # 0 log 0 = 0 (torch's target gradient there is nan: not compared)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check(lambda a: F.kl_div(a, ember.tensor(y0), reduction=reduction),
                  lambda a: TF.kl_div(a, torch.tensor(y0), reduction=reduction), x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        oe, ot = check(lambda a, b: getattr(F, name)(a, b, reduction=reduction, **kw),
                       lambda a, b: getattr(TF, name)(a, b, reduction=reduction, **kw), x, y, rtol=1e-5, atol=1e-5)
    if ot.grad_fn is not None and reduction != "none":
        assert oe.grad_fn.name() == ot.grad_fn.name()


@pytest.mark.parametrize("name,kw", POINTWISE, ids=[f"{n}{k}" for n, k in POINTWISE])
def test_pointwise_gradcheck(name, kw):
    x, y = arr(2, 3), arr(2, 3)
    if name == "poisson_nll_loss" and not kw.get("log_input", True):
        x, y = arr(2, 3, lo=0.1, hi=3), arr(2, 3, lo=0.5, hi=4)
    if name == "kl_div" and not kw.get("log_target"):
        y = arr(2, 3, lo=0.1, hi=1)
    x = np.where(np.abs(x - y) < 0.05, x + 0.2, x)    # away from the kinks of l1/huber
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gradchecks(lambda a, b: getattr(F, name)(a, b, **kw), x, y)


def test_legacy_reduction_kl_batchmean_and_warnings():
    x, y = arr(3, 4), arr(3, 4)
    ex, ey, tx, ty = ember.tensor(x), ember.tensor(y), torch.tensor(x), torch.tensor(y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for sa, rd in ((False, None), (None, False), (True, True)):
            assert_same(F.mse_loss(ex, ey, size_average=sa, reduce=rd), TF.mse_loss(tx, ty, size_average=sa, reduce=rd))
            assert_same(F.l1_loss(ex, ey, sa, rd), TF.l1_loss(tx, ty, sa, rd))
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated, please use "
                                         "reduction='sum' instead."):
        F.mse_loss(ex, ey, size_average=False)
    p = arr(3, 4, lo=0, hi=1)
    assert_same(F.kl_div(ex, ember.tensor(p), reduction="batchmean"),
                TF.kl_div(tx, torch.tensor(p), reduction="batchmean"))
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        F.kl_div(ex, ember.tensor(p))
    with pytest.warns(UserWarning, match=r"Using a target size \(\w+.Size\(\[4\]\)\) that is different to the input "
                                         r"size \(\w+.Size\(\[3, 4\]\)\)"):
        r = F.mse_loss(ex, ember.tensor(y[0]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_same(r, TF.mse_loss(tx, torch.tensor(y[0])))
    with pytest.raises(ValueError, match="foo is not a valid value for reduction"):
        F.mse_loss(ex, ey, reduction="foo")
    with pytest.raises(ValueError, match="foo is not a valid value for reduction"):
        F.cross_entropy(ex, ember.tensor([0, 1, 2]), reduction="foo")


# ---- nll / cross entropy -----------------------------------------------------------------------
CE_CASES = [
    dict(),
    dict(weight=True),
    dict(ignore_index=1),
    dict(weight=True, ignore_index=2),
    dict(label_smoothing=0.2),
    dict(label_smoothing=0.1, weight=True),
    dict(label_smoothing=0.3, ignore_index=0),
    dict(label_smoothing=0.3, ignore_index=0, weight=True),
]


def _ce_kwargs(kw, lib):
    kw = dict(kw)
    if kw.pop("weight", False):
        kw["weight"] = lib.tensor([0.5, 1.0, 2.0, 0.3])
    return kw


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kw", CE_CASES, ids=[str(c) for c in CE_CASES])
@pytest.mark.parametrize("shape", [(5, 4), (2, 4, 3), (2, 4, 2, 3), (4,)], ids=["2d", "3d", "4d", "unbatched"])
def test_cross_entropy(shape, kw, reduction):
    x = arr(*shape)
    t = labels(*((shape[0],) + shape[2:]) if len(shape) > 1 else ()) if len(shape) > 1 else np.array(2)
    te, tt = ember.tensor(t), torch.tensor(t)
    ke, kt = _ce_kwargs(kw, ember), _ce_kwargs(kw, torch)
    oe, ot = check(lambda a: F.cross_entropy(a, te, reduction=reduction, **ke),
                   lambda a: TF.cross_entropy(a, tt, reduction=reduction, **kt), x, rtol=1e-5, atol=1e-5)
    if not kw.get("label_smoothing"):
        assert oe.grad_fn.name() == ot.grad_fn.name()
    check(lambda a: F.nll_loss(a, te, reduction=reduction, **{k: v for k, v in ke.items() if k != "label_smoothing"}),
          lambda a: TF.nll_loss(a, tt, reduction=reduction, **{k: v for k, v in kt.items() if k != "label_smoothing"}),
          x)


@pytest.mark.parametrize("kw", [dict(), dict(weight=True), dict(label_smoothing=0.25, weight=True)])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_probabilities(kw, reduction):
    for shape in ((3, 4), (2, 4, 3)):
        x = arr(*shape)
        p = RNG.random(shape).astype(np.float32)
        p /= p.sum(1, keepdims=True)
        ke, kt = _ce_kwargs(kw, ember), _ce_kwargs(kw, torch)
        check(lambda a, b: F.cross_entropy(a, b, reduction=reduction, **ke),
              lambda a, b: TF.cross_entropy(a, b, reduction=reduction, **kt), x, p)


def test_cross_entropy_gradcheck():
    x = arr(3, 4)
    t = ember.tensor([0, 3, 1])
    w = ember.tensor([0.5, 1.0, 2.0, 0.3], dtype=ember.float64)
    gradchecks(lambda a: F.cross_entropy(a, t), x)
    gradchecks(lambda a: F.cross_entropy(a, t, weight=w, ignore_index=1, label_smoothing=0.2), x)
    gradchecks(lambda a: F.cross_entropy(a, ember.tensor([[0, 1], [2, 2], [3, 0]]), reduction="none"), arr(3, 4, 2))
    gradchecks(lambda a, b: F.cross_entropy(a, b), x, arr(3, 4, lo=0, hi=1))
    gradchecks(lambda a: F.nll_loss(a, t, weight=w), x)


def test_nll_errors():
    x = ember.randn(4, 3)
    with pytest.raises(IndexError, match="Target 10 is out of bounds."):
        F.nll_loss(x, ember.tensor([0, 1, 2, 10]))
    with pytest.raises(IndexError, match="Target -5 is out of bounds."):
        F.cross_entropy(x, ember.tensor([0, 1, 2, -5]))
    with pytest.raises(ValueError, match=r"Expected input batch_size \(4\) to match target batch_size \(3\)."):
        F.nll_loss(x, ember.tensor([0, 1, 2]))
    with pytest.raises(RuntimeError, match="expected target dtype to be Long or Byte, but got Float"):
        F.nll_loss(x, ember.tensor([0.0, 1, 2, 1]))
    with pytest.raises(RuntimeError, match=r"Expected target size \[4, 5\], got \[4, 6\]"):
        F.nll_loss(ember.randn(4, 3, 5), ember.zeros(4, 6, dtype=ember.int64))
    with pytest.raises(RuntimeError, match="0D or 1D target tensor expected, multi-target not supported"):
        F.cross_entropy(x, ember.zeros(4, 2, dtype=ember.int64))
    w = ember.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="not differentiable with respect to argument 'weight'"):
        F.nll_loss(x, ember.tensor([0, 1, 2, 1]), weight=w)
    # every target ignored: mean is nan, as torch
    r = F.cross_entropy(x, ember.tensor([-100] * 4))
    assert np.isnan(r.item())


@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("xs,ts,dt", [((2, 3), (2,), "float32"), ((2, 3), (2,), "int32"), ((2, 3), (2,), "int16"),
                                      ((2, 3), (2,), "bool"), ((2, 3), (3, 2), "float32"), ((2, 3), (3,), "float32"),
                                      ((2, 3), (2, 2), "float32"), ((2, 3, 4), (2, 5), "float32"),
                                      ((2, 3), (2, 3), "int64"), ((3,), (3,), "float32"), ((3,), (), "float32"),
                                      ((2, 3), (2,), "uint8"), ((3,), (1,), "int32")], ids=str)
def test_class_target_dtype_and_shape_errors(fn, xs, ts, dt):
    """torch takes class indices as Long or Byte only (an int32 target raises) and reads a target shaped like the
    input as class probabilities, so a float index target is a dtype error, after nll's shape checks."""
    def run(m):
        try:
            r = getattr(m.nn.functional, fn)(m.ones(xs), m.zeros(ts, dtype=getattr(m, dt)))
            return "ok", round(r.item(), 5)
        except (RuntimeError, ValueError) as e:
            return type(e).__name__, str(e)
    assert run(ember) == run(torch)


# ---- binary losses -----------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy(reduction):
    p, y, w = arr(3, 4, lo=0.02, hi=0.98), arr(3, 4, lo=0, hi=1), arr(4, lo=0.5, hi=2)
    check(lambda a, b: F.binary_cross_entropy(a, b, reduction=reduction),
          lambda a, b: TF.binary_cross_entropy(a, b, reduction=reduction), p, y)
    oe, ot = check(lambda a, b: F.binary_cross_entropy(a, b, weight=ember.tensor(w), reduction=reduction),
                   lambda a, b: TF.binary_cross_entropy(a, b, weight=torch.tensor(w), reduction=reduction), p, y)
    assert oe.grad_fn.name() == ot.grad_fn.name()
    edge = np.array([0.0, 1.0, 0.5], np.float32), np.array([1.0, 0.0, 1.0], np.float32)
    check(lambda a, b: F.binary_cross_entropy(a, b, reduction=reduction),
          lambda a, b: TF.binary_cross_entropy(a, b, reduction=reduction), *edge, grad=False)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits(reduction):
    x, y = arr(3, 4, lo=-30, hi=30), arr(3, 4, lo=0, hi=1)
    w, pw = arr(4, lo=0.5, hi=2), arr(4, lo=0.5, hi=3)
    oe, ot = check(lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction=reduction),
                   lambda a, b: TF.binary_cross_entropy_with_logits(a, b, reduction=reduction), x, y)
    assert oe.grad_fn.name() == ot.grad_fn.name()
    ew, epw, tw, tpw = ember.tensor(w), ember.tensor(pw), torch.tensor(w), torch.tensor(pw)
    check(lambda a, b: F.binary_cross_entropy_with_logits(a, b, ew, reduction=reduction, pos_weight=epw),
          lambda a, b: TF.binary_cross_entropy_with_logits(a, b, tw, reduction=reduction, pos_weight=tpw),
          x, y, rtol=1e-5, atol=1e-5)
    for r in (None, 2):    # top-level: reduction is an enum and defaults to none
        kw = {} if r is None else dict(reduction=r)
        assert_same(ember.binary_cross_entropy_with_logits(ember.tensor(x), ember.tensor(y), **kw),
                    torch.binary_cross_entropy_with_logits(torch.tensor(x), torch.tensor(y), **kw))


def test_binary_gradcheck_and_errors():
    gradchecks(lambda a, b: F.binary_cross_entropy(a, b), arr(2, 3, lo=0.1, hi=0.9), arr(2, 3, lo=0, hi=1))
    pw = ember.tensor([0.5, 2.0, 1.5], dtype=ember.float64)
    gradchecks(lambda a, b: F.binary_cross_entropy_with_logits(a, b, pos_weight=pw), arr(2, 3), arr(2, 3, lo=0, hi=1))
    with pytest.raises(ValueError, match=r"Using a target size \(\w+.Size\(\[4, 2\]\)\) that is different to the input "
                                         r"size \(\w+.Size\(\[4, 3\]\)\) is deprecated"):
        F.binary_cross_entropy(ember.rand(4, 3), ember.rand(4, 2))
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(ember.tensor([1.5]), ember.tensor([1.0]))
    with pytest.raises(ValueError, match=r"Target size \(\w+.Size\(\[4, 2\]\)\) must be the same as input size"):
        F.binary_cross_entropy_with_logits(ember.rand(4, 3), ember.rand(4, 2))


# ---- margin / embedding losses -----------------------------------------------------------------
def _pm1(*shape):
    return RNG.choice([-1.0, 1.0], shape).astype(np.float32)


PM = np.array([[1.0, -1, -1, 1], [1, 1, -1, -1], [-1, 1, 1, 1]], np.float32)
MARGIN = [   # (name, f(lib, reduction, *inputs), inputs)
    ("soft_margin_loss", lambda m, r, a: m.soft_margin_loss(a, (ember if m is F else torch).tensor(PM), reduction=r),
     lambda: (arr(3, 4),)),
    ("multilabel_soft_margin_loss", lambda m, r, a, b: m.multilabel_soft_margin_loss(a, b, reduction=r),
     lambda: (arr(3, 4), RNG.integers(0, 2, (3, 4)).astype(np.float32))),
    ("hinge_embedding_loss", lambda m, r, a, b: m.hinge_embedding_loss(a, b, margin=1.5, reduction=r),
     lambda: (arr(3, 4), _pm1(3, 4))),
    ("margin_ranking_loss", lambda m, r, a, b, c: m.margin_ranking_loss(a, b, c, margin=0.3, reduction=r),
     lambda: (arr(5), arr(5), _pm1(5))),
    ("cosine_embedding_loss", lambda m, r, a, b, c: m.cosine_embedding_loss(a, b, c, margin=0.2, reduction=r),
     lambda: (arr(4, 3), arr(4, 3), _pm1(4))),
    ("triplet_margin_loss", lambda m, r, a, b, c: m.triplet_margin_loss(a, b, c, margin=2.0, reduction=r),
     lambda: (arr(4, 3), arr(4, 3), arr(4, 3))),
    ("triplet_swap_p1", lambda m, r, a, b, c: m.triplet_margin_loss(a, b, c, margin=3.0, p=1, swap=True, reduction=r),
     lambda: (arr(4, 3), arr(4, 3), arr(4, 3))),
    ("triplet_distance", lambda m, r, a, b, c: m.triplet_margin_with_distance_loss(
        a, b, c, distance_function=lambda u, v: 1 - m.cosine_similarity(u, v), margin=0.8, swap=True, reduction=r),
     lambda: (arr(4, 3), arr(4, 3), arr(4, 3))),
]


@pytest.mark.parametrize("name,f,make", MARGIN, ids=[m[0] for m in MARGIN])
def test_margin_losses(name, f, make):
    ins = make()
    for r in REDUCTIONS:
        check(lambda *a: f(F, r, *a), lambda *a: f(TF, r, *a), *ins, rtol=1e-5, atol=1e-5)
    gradchecks(lambda *a: f(F, "mean", *a), *(x.astype(np.float64) for x in ins))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multi_margin_and_multilabel_margin(reduction):
    x = arr(4, 5)
    t = np.array([0, 4, 2, 2])
    w = arr(5, lo=0.5, hi=2)
    for kw_e, kw_t in ((dict(), dict()), (dict(p=2, margin=0.7), dict(p=2, margin=0.7)),
                       (dict(weight=ember.tensor(w)), dict(weight=torch.tensor(w)))):
        oe, ot = check(lambda a: F.multi_margin_loss(a, ember.tensor(t), reduction=reduction, **kw_e),
                       lambda a: TF.multi_margin_loss(a, torch.tensor(t), reduction=reduction, **kw_t), x)
        assert oe.grad_fn.name() == ot.grad_fn.name()
    mt = np.array([[0, 3, -1, 1, 1], [4, -1, 0, 0, 0], [1, 2, 3, 4, 0], [-1, 0, 0, 0, 0]])
    oe, ot = check(lambda a: F.multilabel_margin_loss(a, ember.tensor(mt), reduction=reduction),
                   lambda a: TF.multilabel_margin_loss(a, torch.tensor(mt), reduction=reduction), x)
    assert oe.grad_fn.name() == ot.grad_fn.name()
    check(lambda a: F.multi_margin_loss(a, ember.tensor(3), reduction=reduction),
          lambda a: TF.multi_margin_loss(a, torch.tensor(3), reduction=reduction), arr(5))


def test_margin_gradchecks_and_errors():
    gradchecks(lambda a: F.multi_margin_loss(a, ember.tensor([0, 2]), p=2, margin=2.0), arr(2, 3))
    gradchecks(lambda a: F.multilabel_margin_loss(a, ember.tensor([[0, 2, -1], [1, -1, 0]])), arr(2, 3))
    with pytest.raises(ValueError, match="only p == 1 and p == 2 supported"):
        F.multi_margin_loss(ember.randn(2, 3), ember.tensor([0, 1]), p=3)
    with pytest.raises(RuntimeError, match="The anchor, positive, and negative tensors are expected to have the same "
                                           "number of dimensions, but got: anchor 2D, positive 2D, and negative 1D"):
        F.triplet_margin_loss(ember.randn(2, 3), ember.randn(2, 3), ember.randn(3))
    with pytest.raises(RuntimeError, match="margin_ranking_loss : All input tensors should have same dimension"):
        F.margin_ranking_loss(ember.randn(2, 3), ember.randn(2, 3), ember.randn(3))


# ---- gaussian nll ------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gaussian_nll(reduction):
    x, y = arr(3, 4), arr(3, 4)
    for var in (arr(3, 4, lo=0.1, hi=2), arr(3, 1, lo=0.1, hi=2), arr(3, lo=0.1, hi=2)):
        check(lambda a, b, v: F.gaussian_nll_loss(a, b, v, reduction=reduction),
              lambda a, b, v: TF.gaussian_nll_loss(a, b, v, reduction=reduction), x, y, var)
    v0 = np.array([[1e-9, 1.0, 2.0, 0.5]] * 3, np.float32)
    check(lambda a, b, v: F.gaussian_nll_loss(a, b, v, full=True, eps=1e-3, reduction=reduction),
          lambda a, b, v: TF.gaussian_nll_loss(a, b, v, full=True, eps=1e-3, reduction=reduction), x, y, v0,
          rtol=1e-5, atol=1e-5)
    gradchecks(lambda a, b, v: F.gaussian_nll_loss(a, b, v), arr(2, 3), arr(2, 3), arr(2, 3, lo=0.5, hi=2))
    with pytest.raises(ValueError, match="var is of incorrect size"):
        F.gaussian_nll_loss(ember.randn(4, 3), ember.randn(4, 3), ember.ones(4, 2))
    with pytest.raises(ValueError, match="var has negative entry/entries"):
        F.gaussian_nll_loss(ember.randn(4, 3), ember.randn(4, 3), -ember.ones(4, 3))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ctc_loss(reduction):
    T, N, C = 6, 3, 4
    x = arr(T, N, C)
    lp = torch.log_softmax(torch.tensor(x), 2).numpy()
    tg = np.array([[1, 2, 2], [3, 1, 0], [2, 0, 0]])
    il, tl = [6, 5, 4], [3, 2, 1]
    check(lambda a: F.ctc_loss(a, ember.tensor(tg), il, tl, reduction=reduction),
          lambda a: TF.ctc_loss(a, torch.tensor(tg), il, tl, reduction=reduction), lp, rtol=1e-4, atol=1e-5)
    flat = np.array([1, 2, 2, 3, 1, 2])
    check(lambda a: F.ctc_loss(a, ember.tensor(flat), ember.tensor(il), ember.tensor(tl), reduction=reduction),
          lambda a: TF.ctc_loss(a, torch.tensor(flat), torch.tensor(il), torch.tensor(tl), reduction=reduction),
          lp, rtol=1e-4, atol=1e-5)
    # impossible alignment (target longer than input): inf, or 0 with zero_infinity
    bad = [2, 5, 4]
    for zi in (False, True):
        check(lambda a: F.ctc_loss(a, ember.tensor(tg), bad, tl, reduction=reduction, zero_infinity=zi),
              lambda a: TF.ctc_loss(a, torch.tensor(tg), bad, tl, reduction=reduction, zero_infinity=zi), lp,
              rtol=1e-4, atol=1e-5, grad=zi)
