"""Fused recurrent-cell ops (ember/_ops/recurrent.py) and the functional cells built on them:
float64 gradcheck/gradgradcheck (each output of the LSTM op alone too, so that the other output's
gradient is missing), values and gradients against the same formulas written with torch ops
(first order on the array path, and through create_graph on the ember-op path), double backward,
half precision, and ember.lstm_cell / gru_cell / rnn_tanh_cell / rnn_relu_cell against torch's."""
import numpy as np
import pytest

import ember
from ember._ops.recurrent import FusedGruCell, FusedLstmCell
from tests.helpers import needs_torch, assert_same

torch = pytest.importorskip("torch")
pytestmark = needs_torch

RNG = np.random.default_rng(0)
N, H = 5, 3


def arr(*shape, dtype=np.float64, scale=1.5):
    return (RNG.standard_normal(shape) * scale).astype(dtype)


def pair(a, rg=True):
    e = ember.from_numpy(a.copy())
    t = torch.from_numpy(a.copy())
    if rg:
        e.requires_grad_()
        t.requires_grad_()
    return e, t


# ---- the formulas, written with torch ops --------------------------------------------------------
def torch_lstm(gates, c_prev):
    i, f, g, o = gates.chunk(4, 1)
    c = f.sigmoid() * c_prev + i.sigmoid() * g.tanh()
    return o.sigmoid() * c.tanh(), c


def torch_gru(gi, gh, h_prev):
    ir, iz, in_ = gi.chunk(3, 1)
    hr, hz, hn = gh.chunk(3, 1)
    r, z = (ir + hr).sigmoid(), (iz + hz).sigmoid()
    n = (in_ + r * hn).tanh()
    return (1 - z) * n + z * h_prev


def ember_lstm(gates, c_prev):
    return FusedLstmCell.apply(gates, c_prev)


def ember_gru(gi, gh, h_prev):
    return FusedGruCell.apply(gi, gh, h_prev)


LSTM_OUTPUTS = {"both": lambda out: out, "h only": lambda out: out[0], "c only": lambda out: out[1]}


def _tuple(x):
    return x if isinstance(x, tuple) else (x,)


# ---- gradcheck / gradgradcheck ------------------------------------------------------------------------
def _gradchecks(fn, *arrays):
    ins = tuple(ember.from_numpy(a).requires_grad_() for a in arrays)

    def with_grad(*a):    # gradgradcheck's finite differences call fn under no_grad; keep the graph
        with ember.enable_grad():
            return fn(*a)
    assert ember.autograd.gradcheck(fn, ins)
    assert ember.autograd.gradgradcheck(with_grad, ins)


@pytest.mark.parametrize("which", list(LSTM_OUTPUTS))
def test_lstm_gradcheck(which):
    pick = LSTM_OUTPUTS[which]
    _gradchecks(lambda g, c: pick(ember_lstm(g, c)), arr(N, 4 * H), arr(N, H))


def test_gru_gradcheck():
    _gradchecks(ember_gru, arr(N, 3 * H), arr(N, 3 * H), arr(N, H))


@pytest.mark.parametrize("which", [0, 1])
def test_lstm_gradcheck_one_input(which):
    """Only one of gates / c_prev requires grad: the other's gradient is skipped."""
    a = [arr(N, 4 * H), arr(N, H)]
    ins = [ember.from_numpy(x) for x in a]
    ins[which].requires_grad_()
    assert ember.autograd.gradcheck(lambda *x: ember_lstm(*x), tuple(ins))


@pytest.mark.parametrize("which", [0, 1, 2])
def test_gru_gradcheck_one_input(which):
    a = [arr(N, 3 * H), arr(N, 3 * H), arr(N, H)]
    ins = [ember.from_numpy(x) for x in a]
    ins[which].requires_grad_()
    assert ember.autograd.gradcheck(ember_gru, tuple(ins))


# ---- parity with torch ---------------------------------------------------------------------------
def _parity(fe, ft, arrays, out_grads, create_graph, rtol, atol):
    es, ts = zip(*(pair(a) for a in arrays))
    oe, ot = _tuple(fe(*es)), _tuple(ft(*ts))
    assert len(oe) == len(ot)
    for e, t in zip(oe, ot):
        assert_same(e, t, rtol=rtol, atol=atol)
    # one scalar root sum(out_k * grad_k): the outputs' gradients enter as given, a missing one stays
    # missing (the op gets None for it)
    le = sum((e * ember.from_numpy(g)).sum() for e, g in zip(oe, out_grads) if g is not None)
    lt = sum((t * torch.from_numpy(g)).sum() for t, g in zip(ot, out_grads) if g is not None)
    ge = ember.autograd.grad(le, es, create_graph=create_graph)
    gt = torch.autograd.grad(lt, ts, create_graph=create_graph)
    for e, t in zip(ge, gt):
        assert_same(e, t, rtol=rtol, atol=atol)
    if create_graph:    # the gradients are differentiable: a second backward agrees too
        assert all(e.requires_grad for e in ge)
        se = sum(((e * e).sum() for e in ge), ember.tensor(0.0, dtype=ge[0].dtype))
        st = sum(((t * t).sum() for t in gt), torch.tensor(0.0, dtype=gt[0].dtype))
        for e, t in zip(ember.autograd.grad(se, es), torch.autograd.grad(st, ts)):
            assert_same(e, t, rtol=rtol * 10, atol=atol * 10)


TOL = {np.float32: (1e-5, 1e-6), np.float64: (1e-10, 1e-12)}


@pytest.mark.parametrize("create_graph", [False, True], ids=["arrays", "ember-ops"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("which", ["both", "h only", "c only"])
def test_lstm_parity(which, dtype, create_graph):
    gh = None if which == "c only" else arr(N, H, dtype=dtype)
    gc = None if which == "h only" else arr(N, H, dtype=dtype)
    gates = arr(N, 4 * H, dtype=dtype, scale=3)
    gates[0, :4] = [40, -40, 60, -60]     # saturated gates: exact 0 / 1 activations, no overflow trouble
    _parity(ember_lstm, torch_lstm, [gates, arr(N, H, dtype=dtype)], [gh, gc], create_graph, *TOL[dtype])


@pytest.mark.parametrize("create_graph", [False, True], ids=["arrays", "ember-ops"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gru_parity(dtype, create_graph):
    gi = arr(N, 3 * H, dtype=dtype, scale=3)
    gi[0, :3] = [-200, 200, 50]
    _parity(ember_gru, torch_gru, [gi, arr(N, 3 * H, dtype=dtype, scale=3), arr(N, H, dtype=dtype)],
            [arr(N, H, dtype=dtype)], create_graph, *TOL[dtype])


def test_lstm_parity_large():
    """Sizes of a real layer (so that the block layouts are exercised beyond tiny shapes)."""
    n, h = 32, 128
    _parity(ember_lstm, torch_lstm, [arr(n, 4 * h, dtype=np.float32), arr(n, h, dtype=np.float32)],
            [arr(n, h, dtype=np.float32), arr(n, h, dtype=np.float32)], False, 1e-5, 1e-6)
    _parity(ember_gru, torch_gru, [arr(n, 3 * h, dtype=np.float32), arr(n, 3 * h, dtype=np.float32),
                                   arr(n, h, dtype=np.float32)],
            [arr(n, h, dtype=np.float32)], False, 1e-5, 1e-6)


def test_non_contiguous_inputs():
    g = arr(4 * H, N)
    c = arr(H, N)
    ge, gt = pair(g)
    ce, ct = pair(c)
    oe, ot = ember_lstm(ge.t(), ce.t()), torch_lstm(gt.t(), ct.t())
    for e, t in zip(oe, ot):
        assert_same(e, t, rtol=1e-10, atol=1e-12)
    (oe[0].sum() + oe[1].sum()).backward()
    (ot[0].sum() + ot[1].sum()).backward()
    assert_same(ge.grad, gt.grad, rtol=1e-10, atol=1e-12)
    assert_same(ce.grad, ct.grad, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_precision(dtype):
    """Half inputs are computed in float32 and rounded once; gradients come back in the input dtype."""
    g32, c32 = arr(N, 4 * H, dtype=np.float32), arr(N, H, dtype=np.float32)
    te, tt = getattr(ember, dtype), getattr(torch, dtype)
    ge = ember.from_numpy(g32).to(te).requires_grad_()
    ce = ember.from_numpy(c32).to(te).requires_grad_()
    gt = torch.from_numpy(g32).to(tt).float().requires_grad_()
    ct = torch.from_numpy(c32).to(tt).float().requires_grad_()
    he, cn = ember_lstm(ge, ce)
    ht, ctn = torch_lstm(gt, ct)
    tol = 1e-2 if dtype == "float16" else 2e-2
    assert_same(he, ht.to(tt), rtol=tol, atol=tol)
    assert_same(cn, ctn.to(tt), rtol=tol, atol=tol)
    (he.sum() + cn.sum()).backward()
    (ht.sum() + ctn.sum()).backward()
    assert_same(ge.grad, gt.grad.to(tt), rtol=tol, atol=tol)
    assert_same(ce.grad, ct.grad.to(tt), rtol=tol, atol=tol)


def test_grad_fn_names_and_no_grad():
    g, c = pair(arr(N, 4 * H))[0], pair(arr(N, H))[0]
    h, cn = ember_lstm(g, c)
    assert type(h.grad_fn).__name__ == "ThnnFusedLstmCellBackward0" and h.grad_fn is cn.grad_fn
    assert h.grad_fn.name() == "ThnnFusedLstmCellBackward0"
    assert ember_gru(pair(arr(N, 3 * H))[0], pair(arr(N, 3 * H))[0], c).grad_fn.name() == "ThnnFusedGruCellBackward0"
    with ember.no_grad():
        h, cn = ember_lstm(g, c)
    assert h.grad_fn is None and not h.requires_grad and not cn.requires_grad


def test_shape_errors():
    with pytest.raises(RuntimeError, match="lstm_cell"):
        ember_lstm(ember.zeros(N, 3 * H), ember.zeros(N, H))
    with pytest.raises(RuntimeError, match="gru_cell"):
        ember_gru(ember.zeros(N, 3 * H), ember.zeros(N, 3 * H), ember.zeros(N + 1, H))


# ---- functional cells against torch's ------------------------------------------------------------
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("name", ["lstm_cell", "gru_cell", "rnn_tanh_cell", "rnn_relu_cell"])
def test_functional_cells(name, bias):
    I = 4
    k = {"lstm_cell": 4, "gru_cell": 3}.get(name, 1)
    arrays = [arr(N, I), arr(N, H), arr(k * H, I), arr(k * H, H)]
    if bias:
        arrays += [arr(k * H), arr(k * H)]
    if name == "lstm_cell":
        arrays.insert(2, arr(N, H))
    es, ts = zip(*(pair(a) for a in arrays))

    def call(mod, xs):
        if name == "lstm_cell":
            return getattr(mod, name)(xs[0], (xs[1], xs[2]), *xs[3:])
        return getattr(mod, name)(*xs)

    oe, ot = _tuple(call(ember, es)), _tuple(call(torch, ts))
    for e, t in zip(oe, ot):
        assert_same(e, t, rtol=1e-10, atol=1e-12)
    sum(((o * (j + 1)).sum() for j, o in enumerate(oe)), ember.tensor(0.0, dtype=ember.float64)).backward()
    sum(((o * (j + 1)).sum() for j, o in enumerate(ot)), torch.tensor(0.0, dtype=torch.float64)).backward()
    for e, t in zip(es, ts):
        assert_same(e.grad, t.grad, rtol=1e-10, atol=1e-12)


def test_cell_modules_use_the_fused_ops():
    x = ember.randn(2, 4)
    h, c = ember.nn.LSTMCell(4, 3)(x)
    assert h.grad_fn.name() == "ThnnFusedLstmCellBackward0" and c.grad_fn is h.grad_fn
    assert ember.nn.GRUCell(4, 3)(x).grad_fn.name() == "ThnnFusedGruCellBackward0"
