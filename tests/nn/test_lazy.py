"""Lazy modules against torch: reprs, materialization on the first call, class change, state_dict, errors."""
import math
import warnings

import numpy as np
import pytest

import ember
import ember.nn as enn
from tests.helpers import needs_torch, to_ember, assert_same

try:
    import torch
    import torch.nn as tnn
except ImportError:   # pragma: no cover
    torch = tnn = None

pytestmark = needs_torch


def both(name, *args, **kwargs):
    return getattr(enn, name)(*args, **kwargs), getattr(tnn, name)(*args, **kwargs)


def ember_state(t):
    return {k: to_ember(v) for k, v in t.state_dict().items()}


def kinds(m):
    """state_dict entries as (key, type name, shape or None while uninitialized)."""
    out = []
    for k, v in m.state_dict().items():
        name = type(v).__name__
        out.append((k, name, None if name.startswith("Uninitialized") else tuple(v.shape)))
    return out


def outcome(fn):
    """What calling fn did, comparable across the two libraries: ('ok', None) or (exception type, message)."""
    try:
        fn()
    except Exception as ex:   # noqa: BLE001 - the exception is the result being compared
        return type(ex).__name__, str(ex).replace("torch.", "ember.")
    return "ok", None


def inputs(shape, seed=0, dtype=np.float32):
    a = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


# (class name, args, kwargs, input shape)
CASES = [
    ("LazyLinear", (3,), {}, (2, 4)),
    ("LazyConv1d", (4, 3), {"stride": 2, "padding": 1}, (2, 3, 9)),
    ("LazyConv1d", (4, 3), {}, (3, 7)),   # unbatched: in_channels from dim 0
    ("LazyConv2d", (4, 3), {"groups": 2, "padding": "same", "padding_mode": "reflect"}, (1, 4, 6, 6)),
    ("LazyConv2d", (3, 3), {"bias": False, "dilation": 2}, (2, 2, 7, 7)),
    ("LazyConv3d", (2, 2), {}, (1, 2, 4, 4, 4)),
    ("LazyConvTranspose1d", (3, 3), {"stride": 2}, (2, 2, 5)),
    ("LazyConvTranspose2d", (4, 3), {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2}, (1, 4, 4, 4)),
    ("LazyConvTranspose2d", (3, 2), {"bias": False}, (2, 3, 3)),
    ("LazyConvTranspose3d", (2, 2), {}, (1, 2, 3, 3, 3)),
    ("LazyBatchNorm1d", (), {}, (4, 3)),
    ("LazyBatchNorm1d", (), {"momentum": None}, (4, 3, 5)),
    ("LazyBatchNorm2d", (), {"affine": False}, (2, 3, 4, 4)),
    ("LazyBatchNorm2d", (), {"track_running_stats": False}, (2, 3, 4, 4)),
    ("LazyBatchNorm2d", (), {"bias": False, "eps": 1e-3}, (2, 3, 4, 4)),
    ("LazyBatchNorm3d", (), {}, (2, 3, 2, 2, 2)),
    ("LazyInstanceNorm1d", (), {}, (2, 3, 6)),
    ("LazyInstanceNorm2d", (), {"affine": False}, (2, 3, 4, 4)),
    ("LazyInstanceNorm3d", (), {"track_running_stats": False}, (1, 2, 3, 3, 3)),
]


def _ids(c):
    return c[0] + "-" + "x".join(map(str, c[3])) + ("-" + ",".join(f"{k}={v}" for k, v in c[2].items()) if c[2] else "")


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_lazy_parity(case):
    name, args, kwargs, shape = case
    torch.manual_seed(0)
    e, t = both(name, *args, **kwargs)
    assert repr(e) == repr(t).replace("torch.", "ember.")
    assert kinds(e) == kinds(t)
    assert e.has_uninitialized_params() and t.has_uninitialized_params()
    # conversions before the dry run carry over to the materialized tensors
    e.double()
    t.double()

    ein, tin = inputs(shape, dtype=np.float64)
    eout, tout = e(ein), t(tin)
    assert type(e).__name__ == type(t).__name__ == getattr(tnn, name).cls_to_become.__name__
    assert type(e) is getattr(enn, type(t).__name__)
    assert repr(e) == repr(t)
    assert kinds(e) == kinds(t)
    assert [(n, type(p).__name__) for n, p in e.named_parameters()] == \
        [(n, type(p).__name__) for n, p in t.named_parameters()]
    for (k, ev), tv in zip(e.state_dict().items(), t.state_dict().values()):
        assert str(ev.dtype).split(".")[-1] == str(tv.dtype).split(".")[-1], k
    assert all(p.requires_grad for p in e.parameters())
    if "Norm" in name:   # deterministic default init: the first call matches as it is
        assert_same(eout, tout, rtol=1e-6, atol=1e-8)
        for (k, ev), tv in zip(e.state_dict().items(), t.state_dict().values()):
            assert_same(ev, tv, rtol=1e-6, atol=1e-8)
    else:                # reset_parameters ran: kaiming-uniform bounds from the inferred fan-in
        fan_in = math.prod(e.weight.shape[1:]) if "Transpose" not in name else \
            e.weight.shape[1] * math.prod(e.weight.shape[2:])
        for p in e.parameters():
            a = np.abs(p.detach().numpy())
            assert 0 < a.max() <= 1 / math.sqrt(fan_in) + 1e-7

    e.load_state_dict(ember_state(t))
    ein, tin = inputs(shape, seed=1, dtype=np.float64)
    eout, tout = e(ein), t(tin)
    assert_same(eout, tout, rtol=1e-6, atol=1e-8)
    g = np.random.default_rng(2).standard_normal(tuple(tout.shape))
    tout.backward(torch.tensor(g))
    eout.backward(ember.tensor(g))
    assert_same(ein.grad, tin.grad, rtol=1e-6, atol=1e-8)
    for ep, tp in zip(e.parameters(), t.parameters()):
        assert_same(ep.grad, tp.grad, rtol=1e-6, atol=1e-8)
    for eb, tb in zip(e.buffers(), t.buffers()):
        assert_same(eb, tb, rtol=1e-6, atol=1e-8)


@pytest.mark.filterwarnings("ignore:input's size at dim")   # num_features stays 0 (as in torch)
@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_load_state_dict_materializes(case):
    name, args, kwargs, shape = case
    torch.manual_seed(0)
    full = getattr(tnn, name)(*args, **kwargs)
    full(inputs(shape)[1])
    e, t = both(name, *args, **kwargs)
    assert e.load_state_dict(ember_state(full)) == t.load_state_dict(full.state_dict())
    # materialized, but the class changes (and in_channels/num_features are set) only on a call
    assert type(e).__name__ == type(t).__name__ == name
    assert not e.has_uninitialized_params() and not t.has_uninitialized_params()
    assert repr(e) == repr(t)
    assert kinds(e) == kinds(t)
    for (k, ev), tv in zip(e.state_dict().items(), t.state_dict().values()):
        assert_same(ev, tv, rtol=0, atol=0)
    ein, tin = inputs(shape, seed=1)
    res = {}
    eo = outcome(lambda: res.__setitem__("e", e(ein)))
    to = outcome(lambda: res.__setitem__("t", t(tin)))
    assert eo == to   # e.g. torch's LazyInstanceNorm keeps num_features=0 here and then refuses the input
    assert type(e).__name__ == type(t).__name__ and repr(e) == repr(t)
    if "t" in res:
        assert_same(res["e"], res["t"], rtol=1e-5, atol=1e-5)


def test_uninitialized_state_dict_round_trip():
    for name, args in (("LazyConv2d", (4, 3)), ("LazyBatchNorm2d", ()), ("LazyLinear", (2,))):
        e, t = both(name, *args)
        e2, t2 = both(name, *args)
        assert repr(e.state_dict()) == repr(t.state_dict())
        assert repr(e2.load_state_dict(e.state_dict())) == repr(t2.load_state_dict(t.state_dict()))
        assert e2.has_uninitialized_params() and kinds(e2) == kinds(t2)
    # an uninitialized entry cannot go into an initialized module
    eo = outcome(lambda: enn.Conv2d(2, 4, 3).load_state_dict(enn.LazyConv2d(4, 3).state_dict()))
    to = outcome(lambda: tnn.Conv2d(2, 4, 3).load_state_dict(tnn.LazyConv2d(4, 3).state_dict()))
    assert eo == to and eo[0] == "RuntimeError"


def test_partial_load_then_call():
    for name, args, drop, shape in (("LazyConv2d", (4, 3), "bias", (1, 2, 5, 5)),
                                    ("LazyBatchNorm2d", (), "running_var", (2, 3, 2, 2))):
        full = getattr(tnn, name)(*args)
        full(torch.randn(shape))
        e, t = both(name, *args)
        sd = full.state_dict()
        del sd[drop]
        assert e.load_state_dict({k: to_ember(v) for k, v in sd.items()}, strict=False) == \
            t.load_state_dict(sd, strict=False)
        assert e.has_uninitialized_params() and t.has_uninitialized_params()
        ein, tin = inputs(shape)
        eo, to = outcome(lambda: e(ein)), outcome(lambda: t(tin))
        assert eo == to and eo[0] == "AssertionError"


def test_errors_match_torch():
    def check(make, shape):
        e, t = make(enn), make(tnn)
        ein, tin = inputs(shape)
        eo, to = outcome(lambda: e(ein)), outcome(lambda: t(tin))
        assert eo == to and eo[0] != "ok"
        assert type(e).__name__ == type(t).__name__

    check(lambda nn: nn.LazyConv2d(4, 3), (2, 3))                       # wrong number of dims
    check(lambda nn: nn.LazyConvTranspose3d(4, 3), (2, 3, 4, 4, 4, 4))
    check(lambda nn: nn.LazyConv2d(4, 3, groups=2), (1, 3, 5, 5))       # in_channels not divisible by groups
    check(lambda nn: nn.LazyBatchNorm2d(), (2, 3, 4))                   # materializes, then BatchNorm2d refuses
    check(lambda nn: nn.LazyInstanceNorm1d(), (3, 7))                   # torch takes dim 1 even when unbatched
    eo = outcome(lambda: enn.LazyBatchNorm1d()(ember.ones(3)))
    to = outcome(lambda: tnn.LazyBatchNorm1d()(torch.ones(3)))
    assert eo[0] == to[0] == "IndexError"
    eo = outcome(lambda: enn.LazyConvTranspose2d(2, 3, padding_mode="reflect"))
    to = outcome(lambda: tnn.LazyConvTranspose2d(2, 3, padding_mode="reflect"))
    assert eo == to and eo[0] == "ValueError"
    for name in ("LazyConv1d", "LazyBatchNorm3d", "LazyInstanceNorm2d"):
        args = (2, 3) if "Conv" in name else ()
        e, t = both(name, *args)
        eo, to = outcome(lambda: e.weight.shape), outcome(lambda: t.weight.shape)
        assert eo == to and eo[0] == "RuntimeError" and "uninitialized parameter" in eo[1]
        if "Norm" in name:
            eo, to = outcome(lambda: e.running_mean.shape), outcome(lambda: t.running_mean.shape)
            assert eo == to
        assert repr(e.weight) == repr(t.weight) == "<UninitializedParameter>"


def test_no_lazy_tensors_becomes_regular_on_call():
    # affine=False, track_running_stats=False: nothing to infer, num_features stays 0 (torch warns on the call)
    e, t = both("LazyInstanceNorm2d", affine=False, track_running_stats=False)
    assert not e.has_uninitialized_params() and not t.has_uninitialized_params()
    ein, tin = inputs((2, 3, 4, 4))
    with warnings.catch_warnings(record=True) as ew:
        warnings.simplefilter("always")
        eout = e(ein)
    with warnings.catch_warnings(record=True) as tw:
        warnings.simplefilter("always")
        tout = t(tin)
    assert [str(w.message) for w in ew] == [str(w.message) for w in tw]
    assert type(e) is enn.InstanceNorm2d and repr(e) == repr(t)
    assert_same(eout, tout, rtol=1e-5, atol=1e-5)


def test_optimizer_after_dry_run():
    def make(nn):
        return nn.Sequential(nn.LazyConv2d(4, 3), nn.LazyBatchNorm2d(), nn.ReLU(), nn.Flatten(), nn.LazyLinear(2))

    torch.manual_seed(0)
    e, t = make(enn), make(tnn)
    ein, tin = inputs((2, 3, 5, 5))
    e(ein)
    t(tin)
    assert repr(e) == repr(t)
    e.load_state_dict(ember_state(t))
    eopt = ember.optim.SGD(e.parameters(), lr=0.1, momentum=0.9)
    topt = torch.optim.SGD(t.parameters(), lr=0.1, momentum=0.9)
    assert [tuple(p.shape) for p in eopt.param_groups[0]["params"]] == \
        [tuple(p.shape) for p in topt.param_groups[0]["params"]]
    for _ in range(2):
        eopt.zero_grad()
        topt.zero_grad()
        e(ein).square().sum().backward()
        t(tin).square().sum().backward()
        eopt.step()
        topt.step()
    for (k, ev), tv in zip(e.state_dict().items(), t.state_dict().values()):
        assert_same(ev, tv, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("use", [lambda m, p: p + 1, lambda m, p: p.sum(), lambda m, p: p.dim(), lambda m, p: p.numel(),
                                 lambda m, p: m.nn.functional.linear(m.ones(2, 3), p), lambda m, p: p * p,
                                 lambda m, p: p.exp()],
                         ids=["add", "sum", "dim", "numel", "linear", "mul", "exp"])
def test_using_an_uninitialized_parameter_raises_like_torch(use):
    prefix = "Attempted to use an uninitialized parameter in "
    for m in (torch, ember):
        with pytest.raises(ValueError, match=prefix):
            use(m, m.nn.UninitializedParameter())
    for m in (torch, ember):      # what stays allowed: metadata, size, conversions before the first call
        p = m.nn.UninitializedParameter()
        assert p.size() == (0,) and str(p.dtype).endswith("float32") and repr(p) == "<UninitializedParameter>"
        assert str(m.nn.LazyLinear(3).double().weight.dtype).endswith("float64")
