"""Recurrent layers (RNN, LSTM, GRU and their cells) against torch: outputs, final states and gradients
over a grid of options, packed sequences, state_dict layout, reprs, init, error messages, gradcheck."""
import math
import re
import warnings

import numpy as np
import pytest

import ember
import ember.nn as enn
from ember.nn.utils import rnn as ernn
from tests.helpers import needs_torch, to_ember, assert_same

try:
    import torch
    import torch.nn as tnn
    from torch.nn.utils import rnn as trnn
except ImportError:   # pragma: no cover
    torch = tnn = trnn = None

pytestmark = needs_torch

TOL = dict(rtol=1e-4, atol=1e-5)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*oneDNN.*")      # torch's LSTM-with-projection notice
        yield


def copy_state(e, t):
    e.load_state_dict({k: to_ember(v) for k, v in t.state_dict().items()})


def pair(name, *args, **kwargs):
    t = getattr(tnn, name)(*args, **kwargs)
    e = getattr(enn, name)(*args, **kwargs)
    copy_state(e, t)
    return e, t


def rand(*shape, rg=True):
    t = torch.randn(*shape, dtype=torch.float32)
    t.requires_grad_(rg)
    return t, to_ember(t)


def states(mod_out, lstm):
    """(output, [h_n] or [h_n, c_n]) from a module's result."""
    out, hn = mod_out
    return out, (list(hn) if lstm else [hn])


def weighted_sum(tensors_t, tensors_e):
    """A random weighted sum of every result, in both libraries (the same weights)."""
    lt, le = 0, 0
    for a, b in zip(tensors_t, tensors_e):
        w = torch.randn(a.shape)
        lt = lt + (a * w).sum()
        le = le + (b * to_ember(w)).sum()
    return lt, le


def check_param_grads(e, t):
    tn = dict(t.named_parameters())
    for name, pe in e.named_parameters():
        pt = tn[name]
        assert pe.grad is not None, name
        assert_same(pe.grad, pt.grad, **TOL)


# ---- the module grid -------------------------------------------------------------------------
MODULES = [
    ("RNN", {}),
    ("RNN", {"nonlinearity": "relu", "num_layers": 2}),
    ("RNN", {"bias": False, "bidirectional": True}),
    ("LSTM", {}),
    ("LSTM", {"num_layers": 2, "bidirectional": True, "batch_first": True}),
    ("LSTM", {"proj_size": 3}),
    ("LSTM", {"proj_size": 2, "num_layers": 2, "bidirectional": True, "bias": False}),
    ("LSTM", {"num_layers": 2, "dropout": 0.5}),
    ("GRU", {}),
    ("GRU", {"num_layers": 2, "bidirectional": True}),
    ("GRU", {"bias": False, "batch_first": True}),
    ("GRU", {"num_layers": 2, "dropout": 0.3, "batch_first": True, "bidirectional": True}),
]
MODES = ["batched", "batched_h0", "unbatched", "unbatched_h0", "packed", "packed_h0"]
IN, HID, T, B = 3, 5, 4, 3


def _ids(case):
    name, kw = case
    return name + "-" + "-".join(f"{k}={v}" for k, v in kw.items()) if kw else name


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", MODULES, ids=[_ids(c) for c in MODULES])
def test_module_parity(case, mode):
    name, kw = case
    torch.manual_seed(hash((name, str(kw), mode)) % 1000)
    e, t = pair(name, IN, HID, **kw)
    e.eval()
    t.eval()       # dropout (between layers) is off in eval mode
    lstm = name == "LSTM"
    bf = kw.get("batch_first", False)
    D = 2 if kw.get("bidirectional") else 1
    L = kw.get("num_layers", 1)
    H_out = kw.get("proj_size", 0) or HID
    packed = mode.startswith("packed")
    unbatched = mode.startswith("unbatched")
    given = mode.endswith("h0")
    if unbatched:
        xt, xe = rand(T, IN)
        hshape, cshape = (L * D, H_out), (L * D, HID)
    else:
        xt, xe = rand(*((B, T, IN) if bf else (T, B, IN)))
        hshape, cshape = (L * D, B, H_out), (L * D, B, HID)
    inputs_t, inputs_e = [xt], [xe]
    if given:
        ht, he = rand(*hshape)
        inputs_t.append(ht)
        inputs_e.append(he)
        if lstm:
            ct, ce = rand(*cshape)
            inputs_t.append(ct)
            inputs_e.append(ce)
            hx_t, hx_e = (ht, ct), (he, ce)
        else:
            hx_t, hx_e = ht, he
    else:
        hx_t = hx_e = None
    if packed:
        lengths = [2, 4, 1]         # unsorted: enforce_sorted=False
        in_t = trnn.pack_padded_sequence(xt, lengths, batch_first=bf, enforce_sorted=False)
        in_e = ernn.pack_padded_sequence(xe, lengths, batch_first=bf, enforce_sorted=False)
        assert_same(in_e.data, in_t.data)
    else:
        in_t, in_e = xt, xe
    out_t, st_t = states(t(in_t, hx_t), lstm)
    out_e, st_e = states(e(in_e, hx_e), lstm)
    if packed:
        assert isinstance(out_e, ernn.PackedSequence)
        assert out_e.batch_sizes.tolist() == out_t.batch_sizes.tolist()
        assert out_e.sorted_indices.tolist() == out_t.sorted_indices.tolist()
        assert out_e.unsorted_indices.tolist() == out_t.unsorted_indices.tolist()
        out_t, out_e = out_t.data, out_e.data
    assert_same(out_e, out_t, **TOL)
    for a, b in zip(st_e, st_t):
        assert_same(a, b, **TOL)
    lt, le = weighted_sum([out_t] + st_t, [out_e] + st_e)
    lt.backward()
    le.backward()
    for a, b in zip(inputs_e, inputs_t):
        assert_same(a.grad, b.grad, **TOL)
    check_param_grads(e, t)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_packed_sorted_batch_first_and_roundtrip(name):
    torch.manual_seed(1)
    e, t = pair(name, IN, HID, num_layers=2, bidirectional=True, batch_first=True)
    xt, xe = rand(B, T, IN)
    lengths = torch.tensor([4, 4, 2])
    pt = trnn.pack_padded_sequence(xt, lengths, batch_first=True)
    pe = ernn.pack_padded_sequence(xe, lengths, batch_first=True)
    assert pe.sorted_indices is None and pe.unsorted_indices is None
    ot, _ = t(pt)
    oe, _ = e(pe)
    assert oe.sorted_indices is None
    padded_t, len_t = trnn.pad_packed_sequence(ot, batch_first=True, padding_value=-1.0, total_length=6)
    padded_e, len_e = ernn.pad_packed_sequence(oe, batch_first=True, padding_value=-1.0, total_length=6)
    assert_same(padded_e, padded_t, **TOL)
    assert len_e.tolist() == len_t.tolist()
    lt, le = weighted_sum([padded_t], [padded_e])
    lt.backward()
    le.backward()
    assert_same(xe.grad, xt.grad, **TOL)
    check_param_grads(e, t)


def test_training_dropout():
    torch.manual_seed(0)
    # p=1 zeroes every inner layer's output: deterministic, so it can be compared with torch
    e, t = pair("GRU", IN, HID, num_layers=3, dropout=1.0)
    xt, xe = rand(T, B, IN)
    ot, ht = t(xt)
    oe, he = e(xe)
    assert_same(oe, ot, **TOL)
    assert_same(he, ht, **TOL)
    # 0 < p < 1 in training: random, differs from eval; eval is deterministic
    e = enn.LSTM(IN, HID, num_layers=2, dropout=0.5)
    a, b = e(xe)[0], e(xe)[0]
    assert not np.allclose(a.detach().numpy(), b.detach().numpy())
    e.eval()
    a, b = e(xe)[0], e(xe)[0]
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_float64_and_empty_batch():
    torch.manual_seed(2)
    e, t = pair("LSTM", IN, HID, num_layers=2, bidirectional=True)
    e.double()
    t.double()
    x = torch.randn(T, B, IN, dtype=torch.float64)
    ot, (ht, ct) = t(x)
    oe, (he, ce) = e(to_ember(x))
    assert_same(oe, ot, rtol=1e-10, atol=1e-12)
    assert_same(ce, ct, rtol=1e-10, atol=1e-12)
    e, t = pair("GRU", IN, HID, batch_first=True)
    ot, ht = t(torch.randn(0, T, IN))
    oe, he = e(ember.randn(0, T, IN))
    assert tuple(oe.shape) == tuple(ot.shape) and tuple(he.shape) == tuple(ht.shape)


# ---- cells -----------------------------------------------------------------------------------
CELLS = [
    ("RNNCell", {}),
    ("RNNCell", {"nonlinearity": "relu"}),
    ("RNNCell", {"bias": False}),
    ("LSTMCell", {}),
    ("LSTMCell", {"bias": False}),
    ("GRUCell", {}),
    ("GRUCell", {"bias": False}),
]


@pytest.mark.parametrize("mode", ["batched", "batched_h0", "unbatched", "unbatched_h0"])
@pytest.mark.parametrize("case", CELLS, ids=[_ids(c) for c in CELLS])
def test_cell_parity(case, mode):
    name, kw = case
    torch.manual_seed(3)
    e, t = pair(name, IN, HID, **kw)
    lstm = name == "LSTMCell"
    batched = mode.startswith("batched")
    xt, xe = rand(*((B, IN) if batched else (IN,)))
    hs = (B, HID) if batched else (HID,)
    inputs_t, inputs_e = [xt], [xe]
    hx_t = hx_e = None
    if mode.endswith("h0"):
        ht, he = rand(*hs)
        inputs_t.append(ht)
        inputs_e.append(he)
        hx_t, hx_e = ht, he
        if lstm:
            ct, ce = rand(*hs)
            inputs_t.append(ct)
            inputs_e.append(ce)
            hx_t, hx_e = (ht, ct), (he, ce)
    rt, re_ = t(xt, hx_t), e(xe, hx_e)
    rt = list(rt) if lstm else [rt]
    re_ = list(re_) if lstm else [re_]
    assert isinstance(e(xe, hx_e), tuple) == lstm
    for a, b in zip(re_, rt):
        assert_same(a, b, **TOL)
    lt, le = weighted_sum(rt, re_)
    lt.backward()
    le.backward()
    for a, b in zip(inputs_e, inputs_t):
        assert_same(a.grad, b.grad, **TOL)
    check_param_grads(e, t)


def test_cell_sequence_matches_module():
    """Unrolling LSTMCell over time with the module's weights gives the module's output."""
    torch.manual_seed(4)
    cell = enn.LSTMCell(IN, HID)
    lstm = enn.LSTM(IN, HID)
    lstm.load_state_dict({k + "_l0": v for k, v in cell.state_dict().items()})
    x = ember.randn(T, B, IN)
    h = c = None
    outs = []
    for step in x.unbind(0):
        h, c = cell(step, None if h is None else (h, c))
        outs.append(h)
    out, (hn, cn) = lstm(x)
    np.testing.assert_allclose(ember.stack(outs).detach().numpy(), out.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(cn[0].detach().numpy(), c.detach().numpy(), rtol=1e-5, atol=1e-6)


# ---- layout: state_dict, repr, init ----------------------------------------------------------
LAYOUT = [
    ("RNN", (3, 4), {"nonlinearity": "relu", "num_layers": 2, "bias": False, "batch_first": True, "dropout": 0.5,
                     "bidirectional": True}),
    ("RNN", (3, 4, 2, "relu"), {}),
    ("LSTM", (10, 20), {"num_layers": 2, "batch_first": True}),
    ("LSTM", (3, 4), {"proj_size": 2, "num_layers": 2, "bidirectional": True, "dropout": 0.2}),
    ("LSTM", (3, 4, 1, False), {}),
    ("GRU", (3, 4), {}),
    ("GRU", (3, 4), {"num_layers": 3, "bidirectional": True}),
    ("RNNCell", (3, 4), {"bias": False, "nonlinearity": "relu"}),
    ("RNNCell", (3, 4), {}),
    ("LSTMCell", (3, 4), {"bias": False}),
    ("GRUCell", (3, 4), {}),
]


@pytest.mark.parametrize("name,args,kw", LAYOUT)
def test_state_dict_repr_and_init(name, args, kw):
    t = getattr(tnn, name)(*args, **kw)
    e = getattr(enn, name)(*args, **kw)
    assert repr(e) == repr(t)
    assert [(k, tuple(v.shape)) for k, v in e.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in t.state_dict().items()]
    assert [k for k, _ in e.named_parameters()] == [k for k, _ in t.named_parameters()]
    hidden = args[1]
    bound = 1 / math.sqrt(hidden)
    ember.manual_seed(0)
    e.reset_parameters()
    for k, p in e.named_parameters():
        a = p.detach().numpy()
        assert a.min() >= -bound and a.max() <= bound, k
    pooled = np.concatenate([p.detach().numpy().ravel() for p in e.parameters()])
    assert abs(pooled.std() - bound / math.sqrt(3)) < 0.2 * bound     # uniform(-b, b): std b/sqrt(3)
    for attr in ("input_size", "hidden_size", "bias", "num_layers", "batch_first", "dropout", "bidirectional",
                 "proj_size", "mode", "nonlinearity"):
        if hasattr(t, attr):
            assert getattr(e, attr) == getattr(t, attr), attr


def test_all_weights_flatten_and_module_api():
    t = tnn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2)
    e = enn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2)
    assert [[tuple(p.shape) for p in layer] for layer in e.all_weights] == \
        [[tuple(p.shape) for p in layer] for layer in t.all_weights]
    assert e._flat_weights_names == t._flat_weights_names
    assert e._all_weights == t._all_weights
    assert e.flatten_parameters() is None
    assert all(p is q for p, q in zip(e._flat_weights, e.parameters()))
    assert isinstance(e, enn.RNNBase) and isinstance(enn.GRUCell(2, 3), enn.RNNCellBase)
    # reset_parameters redraws
    before = e.weight_ih_l0.detach().numpy().copy()
    e.reset_parameters()
    assert not np.array_equal(before, e.weight_ih_l0.detach().numpy())
    # dtype / device kwargs
    m = enn.GRU(3, 4, dtype=ember.float64)
    assert all(p.dtype == ember.float64 for p in m.parameters())


# ---- errors ----------------------------------------------------------------------------------
def _raises_like(fe, ft):
    """Both raise the same exception type; ember's message starts with torch's (ember may append
    which module raised it; dtypes print as ember.float32 where torch prints torch.float32)."""
    with pytest.raises(Exception) as it:
        ft()
    msg = str(it.value).replace("torch.float", "ember.float")
    with pytest.raises(type(it.value), match="^" + re.escape(msg)):
        fe()


CTOR_ERRORS = [
    ("LSTM", (3, 4), {"dropout": 1.3}),
    ("LSTM", (3, 4), {"dropout": True}),
    ("LSTM", (3, 0), {}),
    ("LSTM", (3, 4), {"num_layers": 0}),
    ("LSTM", (3, 4.0), {}),
    ("LSTM", (3.0, 4), {}),
    ("LSTM", (3, 4), {"proj_size": -1}),
    ("LSTM", (3, 4), {"proj_size": 4}),
    ("GRU", (3, 4), {"proj_size": 2}),
    ("RNN", (3, 4), {"proj_size": 2}),
    ("RNN", (3, 4), {"nonlinearity": "sigmoid"}),
    ("RNNBase", ("FOO", 3, 4), {}),
]


@pytest.mark.parametrize("name,args,kw", CTOR_ERRORS)
def test_constructor_errors(name, args, kw):
    _raises_like(lambda: getattr(enn, name)(*args, **kw), lambda: getattr(tnn, name)(*args, **kw))


def test_dropout_warning():
    with pytest.warns(UserWarning) as rec:
        tnn.LSTM(3, 4, dropout=0.3)
    msg = str(rec[0].message)
    with pytest.warns(UserWarning, match="^" + re.escape(msg) + "$"):
        enn.LSTM(3, 4, dropout=0.3)


def _forward_error_cases():
    r = np.random.RandomState(0)

    def rn(*s, dt=np.float32):
        return r.randn(*s).astype(dt)
    return [
        ("LSTM", (3, 4, 2), [rn(5, 2, 2)], None),
        ("LSTM", (3, 4, 2), [rn(5, 2, 3, 1)], None),
        ("LSTM", (3, 4, 2), [rn(3)], None),
        ("RNN", (3, 4), [rn(2, 3, 3, 3)], None),
        ("GRU", (3, 4), [rn(2, 3, 3, 3)], None),
        ("LSTM", (3, 4, 2), [rn(5, 2, 3)], [rn(1, 2, 4), rn(2, 2, 4)]),
        ("LSTM", (3, 4, 2), [rn(5, 2, 3)], [rn(2, 2, 4), rn(2, 3, 4)]),
        ("LSTM", (3, 4, 2), [rn(5, 2, 3)], [rn(2, 4), rn(2, 2, 4)]),
        ("LSTM", (3, 4, 2), [rn(5, 3)], [rn(2, 1, 4), rn(2, 1, 4)]),
        ("GRU", (3, 4, 2), [rn(5, 2, 3)], rn(2, 3, 4)),
        ("GRU", (3, 4, 2), [rn(5, 2, 3)], rn(2, 2, 5)),
        ("GRU", (3, 4, 2), [rn(5, 3)], rn(2, 1, 4)),
        ("GRU", (3, 4, 2), [rn(5, 2, 3)], rn(2, 4)),
        ("GRU", (3, 4), [rn(0, 2, 3)], None),
        ("RNN", (3, 4), [rn(5, 2, 3, dt=np.float64)], None),
        ("LSTMCell", (3, 4), [rn(2, 2, 3)], None),
        ("LSTMCell", (3, 4), [rn(2, 5)], None),
        ("LSTMCell", (3, 4), [rn(2, 3)], [rn(2, 5), rn(2, 4)]),
        ("LSTMCell", (3, 4), [rn(2, 3)], [rn(2, 4), rn(2, 5)]),
        ("LSTMCell", (3, 4), [rn(2, 3)], [rn(3, 4), rn(2, 4)]),
        ("LSTMCell", (3, 4), [rn(2, 3)], [rn(1, 2, 4), rn(1, 2, 4)]),
        ("LSTMCell", (3, 4), [rn(3)], [rn(2, 4), rn(2, 4)]),
        ("LSTMCell", (3, 4), [rn(2, 3, dt=np.float64)], None),
        ("GRUCell", (3, 4), [rn(2, 2, 3)], None),
        ("GRUCell", (3, 4), [rn(2, 3)], rn(2, 2, 4)),
        ("GRUCell", (3, 4), [rn(2, 3)], rn(3, 4)),
        ("GRUCell", (3, 4), [rn(2, 3)], rn(2, 4, dt=np.float64)),
        ("RNNCell", (3, 4), [rn(2, 4)], None),
        ("RNNCell", (3, 4), [rn(2, 3)], rn(2, 5)),
        ("RNNCell", (3, 4), [rn(2, 3)], rn(4)),
    ]


@pytest.mark.parametrize("k", range(len(_forward_error_cases())))
def test_forward_errors(k):
    name, args, xs, hx = _forward_error_cases()[k]
    t = getattr(tnn, name)(*args)
    e = getattr(enn, name)(*args)
    tt = [torch.from_numpy(x) for x in xs]
    ee = [ember.from_numpy(x) for x in xs]
    if hx is None:
        ht = he = None
    elif isinstance(hx, list):
        ht, he = tuple(torch.from_numpy(h) for h in hx), tuple(ember.from_numpy(h) for h in hx)
    else:
        ht, he = torch.from_numpy(hx), ember.from_numpy(hx)
    _raises_like(lambda: e(*ee, he), lambda: t(*tt, ht))


def test_rnncell_unknown_nonlinearity_at_forward():
    _raises_like(lambda: enn.RNNCell(3, 4, nonlinearity="x")(ember.randn(2, 3)),
                 lambda: tnn.RNNCell(3, 4, nonlinearity="x")(torch.randn(2, 3)))


# ---- gradcheck (float64, tiny) ---------------------------------------------------------------
def _gc_inputs(module, *shapes):
    module.double()
    xs = [ember.randn(*s, dtype=ember.float64, requires_grad=True) for s in shapes]
    return xs, list(module.parameters())


def test_gradcheck_lstmcell():
    ember.manual_seed(0)
    m = enn.LSTMCell(2, 3)
    (x, h, c), ps = _gc_inputs(m, (2, 2), (2, 3), (2, 3))
    assert ember.autograd.gradcheck(lambda x, h, c, *p: m(x, (h, c)), (x, h, c, *ps))


def test_gradcheck_grucell_and_gradgrad():
    ember.manual_seed(1)
    m = enn.GRUCell(2, 3)
    (x, h), ps = _gc_inputs(m, (2, 2), (2, 3))
    assert ember.autograd.gradcheck(lambda x, h, *p: m(x, h), (x, h, *ps))
    assert ember.autograd.gradgradcheck(lambda x, h: m(x, h), (x, h))


def test_gradcheck_rnn_modules():
    ember.manual_seed(2)
    m = enn.RNN(2, 2, num_layers=2, bidirectional=True)
    (x, h), ps = _gc_inputs(m, (3, 2, 2), (4, 2, 2))
    assert ember.autograd.gradcheck(lambda x, h, *p: m(x, h), (x, h, *ps))
    m = enn.LSTM(2, 3, proj_size=1)
    (x, h, c), ps = _gc_inputs(m, (2, 1, 2), (1, 1, 1), (1, 1, 3))
    assert ember.autograd.gradcheck(lambda x, h, c, *p: m(x, (h, c))[0], (x, h, c, *ps))
    m = enn.GRU(2, 2, bidirectional=True)
    (x,), ps = _gc_inputs(m, (3, 2, 2))
    packed = lambda x: ernn.pack_padded_sequence(x, [3, 1], enforce_sorted=False)   # noqa: E731
    assert ember.autograd.gradcheck(lambda x, *p: m(packed(x))[1], (x, *ps))


def test_create_graph_matches_torch():
    """A gradient penalty through an LSTM (double backward)."""
    torch.manual_seed(5)
    e, t = pair("LSTM", IN, HID)
    xt, xe = rand(T, B, IN)
    gt, = torch.autograd.grad(t(xt)[0].pow(2).sum(), xt, create_graph=True)
    ge, = ember.autograd.grad(e(xe)[0].pow(2).sum(), xe, create_graph=True)
    assert_same(ge, gt, **TOL)
    gt.pow(2).sum().backward()
    ge.pow(2).sum().backward()
    check_param_grads(e, t)
