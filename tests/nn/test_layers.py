"""Layer modules against torch: reprs, state_dict keys, forward/backward parity, default init."""
import math

import numpy as np
import pytest

import ember
import ember.nn as enn
from tests.helpers import needs_torch, to_ember, to_torch, assert_same

try:
    import torch
    import torch.nn as tnn
except ImportError:   # pragma: no cover
    torch = tnn = None

pytestmark = needs_torch


def both(name, *args, **kwargs):
    return getattr(enn, name)(*args, **kwargs), getattr(tnn, name)(*args, **kwargs)


def copy_state(e, t):
    e.load_state_dict({k: to_ember(v) for k, v in t.state_dict().items()})


# (class name, args, kwargs, input shapes, float64?)
CASES = [
    ("Linear", (4, 3), {}, [(2, 4)]),
    ("Linear", (4, 3), {"bias": False}, [(5, 2, 4)]),
    ("Bilinear", (3, 4, 2), {}, [(5, 3), (5, 4)]),
    ("Identity", (), {}, [(2, 3)]),
    ("Flatten", (), {}, [(2, 3, 4)]),
    ("Unflatten", (1, (2, 3)), {}, [(2, 6)]),
    ("Conv1d", (2, 4, 3), {"stride": 2, "padding": 1}, [(2, 2, 9)]),
    ("Conv2d", (2, 4, 3), {}, [(2, 2, 6, 6)]),
    ("Conv2d", (4, 6, (3, 2)), {"groups": 2, "dilation": (1, 2), "padding": "same", "padding_mode": "reflect"},
     [(1, 4, 7, 7)]),
    ("Conv2d", (2, 3, 3), {"padding": 1, "padding_mode": "circular", "bias": False}, [(1, 2, 5, 5)]),
    ("Conv2d", (2, 3, 3), {"padding": 2, "padding_mode": "replicate"}, [(1, 2, 5, 5)]),
    ("Conv2d", (2, 3, 3), {"padding": "valid"}, [(2, 5, 5)]),
    ("Conv3d", (2, 2, 2), {}, [(1, 2, 4, 4, 4)]),
    ("ConvTranspose1d", (2, 3, 3), {"stride": 2}, [(2, 2, 5)]),
    ("ConvTranspose2d", (2, 4, 3), {"stride": 2, "padding": 1, "output_padding": 1}, [(1, 2, 4, 4)]),
    ("ConvTranspose2d", (4, 2, 3), {"groups": 2, "dilation": 2}, [(1, 4, 3, 3)]),
    ("ConvTranspose3d", (2, 2, 2), {}, [(1, 2, 3, 3, 3)]),
    ("MaxPool1d", (3,), {"stride": 2, "padding": 1}, [(2, 3, 9)]),
    ("MaxPool2d", (2,), {}, [(2, 3, 6, 6)]),
    ("MaxPool2d", (3,), {"stride": 2, "ceil_mode": True}, [(1, 2, 8, 8)]),
    ("MaxPool3d", (2,), {}, [(1, 2, 4, 4, 4)]),
    ("AvgPool1d", (3,), {}, [(2, 3, 9)]),
    ("AvgPool2d", (3,), {"stride": 2, "padding": 1, "count_include_pad": False}, [(1, 2, 7, 7)]),
    ("AvgPool3d", (2,), {}, [(1, 2, 4, 4, 4)]),
    ("LPPool2d", (2, 2), {}, [(1, 2, 6, 6)]),
    ("LPPool1d", (2, 3), {"stride": 2}, [(1, 2, 7)]),
    ("AdaptiveAvgPool1d", (3,), {}, [(2, 3, 7)]),
    ("AdaptiveAvgPool2d", ((2, 3),), {}, [(2, 3, 7, 8)]),
    ("AdaptiveAvgPool3d", (2,), {}, [(1, 2, 5, 5, 5)]),
    ("AdaptiveMaxPool1d", (3,), {}, [(2, 3, 7)]),
    ("AdaptiveMaxPool2d", (2,), {}, [(2, 3, 7, 8)]),
    ("ReflectionPad1d", (2,), {}, [(1, 2, 5)]),
    ("ReflectionPad2d", ((1, 2, 0, 1),), {}, [(1, 2, 4, 4)]),
    ("ReplicationPad2d", (2,), {}, [(1, 2, 3, 3)]),
    ("ReplicationPad3d", (1,), {}, [(1, 1, 2, 2, 2)]),
    ("ZeroPad2d", ((1, 0, 2, 1),), {}, [(1, 2, 3, 3)]),
    ("ConstantPad1d", (2, 3.5), {}, [(1, 2, 3)]),
    ("ConstantPad3d", (1, -1.0), {}, [(1, 1, 2, 2, 2)]),
    ("CircularPad2d", (1,), {}, [(1, 2, 3, 3)]),
    ("BatchNorm1d", (3,), {}, [(4, 3)]),
    ("BatchNorm1d", (3,), {"affine": False}, [(4, 3, 5)]),
    ("BatchNorm2d", (3,), {"momentum": None}, [(2, 3, 4, 4)]),
    ("BatchNorm2d", (3,), {"track_running_stats": False}, [(2, 3, 4, 4)]),
    ("BatchNorm3d", (2,), {}, [(2, 2, 3, 3, 3)]),
    ("GroupNorm", (2, 4), {}, [(2, 4, 3, 3)]),
    ("InstanceNorm1d", (3,), {}, [(2, 3, 6)]),
    ("InstanceNorm2d", (3,), {"affine": True}, [(2, 3, 4, 4)]),
    ("InstanceNorm2d", (3,), {"track_running_stats": True}, [(2, 3, 4, 4)]),
    ("LayerNorm", ((3, 4),), {}, [(2, 3, 4)]),
    ("LayerNorm", (4,), {"bias": False}, [(2, 3, 4)]),
    ("RMSNorm", (4,), {}, [(2, 3, 4)]),
    ("LocalResponseNorm", (2,), {}, [(2, 4, 3, 3)]),
    ("Dropout", (0.5,), {}, [(3, 4)]),
    ("Dropout2d", (), {}, [(2, 3, 4, 4)]),
    ("AlphaDropout", (), {}, [(3, 4)]),
    ("ELU", (), {}, [(3, 4)]), ("ELU", (0.5,), {}, [(3, 4)]), ("SELU", (), {}, [(3, 4)]),
    ("CELU", (2.0,), {}, [(3, 4)]), ("GELU", (), {}, [(3, 4)]), ("GELU", ("tanh",), {}, [(3, 4)]),
    ("Hardshrink", (), {}, [(3, 4)]), ("Hardtanh", (-0.5, 0.5), {}, [(3, 4)]), ("Hardsigmoid", (), {}, [(3, 4)]),
    ("Hardswish", (), {}, [(3, 4)]), ("LeakyReLU", (0.2,), {}, [(3, 4)]), ("PReLU", (), {}, [(3, 4)]),
    ("PReLU", (3,), {"init": 0.1}, [(2, 3, 4)]), ("ReLU", (), {}, [(3, 4)]), ("ReLU6", (), {}, [(3, 4)]),
    ("Sigmoid", (), {}, [(3, 4)]), ("LogSigmoid", (), {}, [(3, 4)]), ("SiLU", (), {}, [(3, 4)]),
    ("Mish", (), {}, [(3, 4)]), ("Softplus", (2.0, 1.0), {}, [(3, 4)]), ("Softshrink", (0.3,), {}, [(3, 4)]),
    ("Softsign", (), {}, [(3, 4)]), ("Tanh", (), {}, [(3, 4)]), ("Tanhshrink", (), {}, [(3, 4)]),
    ("Threshold", (0.1, 20.0), {}, [(3, 4)]), ("GLU", (), {}, [(3, 4)]), ("Softmin", (1,), {}, [(3, 4)]),
    ("Softmax", (0,), {}, [(3, 4)]), ("Softmax2d", (), {}, [(2, 3, 4, 4)]), ("LogSoftmax", (-1,), {}, [(3, 4)]),
    ("Upsample", (), {"scale_factor": 2}, [(1, 2, 3, 3)]),
    ("Upsample", (), {"size": (5, 4), "mode": "bilinear", "align_corners": False}, [(1, 2, 3, 3)]),
    ("UpsamplingNearest2d", (), {"scale_factor": 2}, [(1, 2, 3, 3)]),
    ("UpsamplingBilinear2d", (), {"size": 5}, [(1, 2, 3, 3)]),
    ("PixelShuffle", (2,), {}, [(1, 8, 2, 3)]), ("PixelUnshuffle", (2,), {}, [(1, 2, 4, 6)]),
    ("ChannelShuffle", (2,), {}, [(1, 4, 2, 2)]),
    ("CosineSimilarity", (), {}, [(3, 4), (3, 4)]), ("PairwiseDistance", (), {}, [(3, 4), (3, 4)]),
    ("Unfold", (2,), {"padding": 1}, [(1, 2, 4, 4)]), ("Fold", ((4, 5), 2), {}, [(1, 8, 12)]),
]


def _ids(c):
    return c[0] + ("-" + ",".join(f"{k}={v}" for k, v in c[2].items()) if c[2] else "") + \
        ("-" + ",".join(map(str, c[1])) if c[1] else "")


def _run_pair(name, args, kwargs, shapes, train=True):
    torch.manual_seed(0)
    e, t = both(name, *args, **kwargs)
    copy_state(e, t)
    e.train(train)
    t.train(train)
    rng = np.random.default_rng(0)
    arrs = [rng.standard_normal(s) for s in shapes]
    tin = [torch.tensor(a, requires_grad=True) for a in arrs]
    ein = [ember.tensor(a, requires_grad=True) for a in arrs]
    t.double()
    e.double()
    return e, t, ein, tin


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_repr_and_state_dict_keys(case):
    name, args, kwargs, _ = case
    e, t = both(name, *args, **kwargs)
    assert repr(e) == repr(t)
    assert list(e.state_dict().keys()) == list(t.state_dict().keys())
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    for (k, ev), tv in zip(e.state_dict().items(), t.state_dict().values()):
        assert tuple(ev.shape) == tuple(tv.shape), k
        assert str(ev.dtype).split(".")[-1] == str(tv.dtype).split(".")[-1], k


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_forward_backward_parity(case):
    name, args, kwargs, shapes = case
    stochastic = "Dropout" in name
    for train in ((False,) if stochastic else (True, False)):
        e, t, ein, tin = _run_pair(name, args, kwargs, shapes, train)
        tout = t(*tin)
        eout = e(*ein)
        assert_same(eout, tout, rtol=1e-6, atol=1e-8)
        g = np.random.default_rng(1).standard_normal(tuple(tout.shape))
        tout.backward(torch.tensor(g))
        eout.backward(ember.tensor(g))
        for ei, ti in zip(ein, tin):
            assert_same(ei.grad, ti.grad, rtol=1e-6, atol=1e-8)
        for (n, ep), tp in zip(e.named_parameters(), t.parameters()):
            assert_same(ep.grad, tp.grad, rtol=1e-6, atol=1e-8)
        for (n, eb), tb in zip(e.named_buffers(), t.buffers()):
            assert_same(eb, tb, rtol=1e-6, atol=1e-8)


def test_maxpool_return_indices_and_unpool():
    e, t, ein, tin = _run_pair("MaxPool2d", (2,), {"return_indices": True}, [(1, 2, 4, 4)])
    eo, ei = e(*ein)
    to, ti = t(*tin)
    assert_same(eo, to)
    assert_same(ei, ti)
    eu, tu = both("MaxUnpool2d", 2)
    assert_same(eu(eo, ei), tu(to, ti))
    assert_same(eu(eo, ei, output_size=[5, 5]), tu(to, ti, output_size=[5, 5]))


def test_conv_transpose_output_size():
    e, t, ein, tin = _run_pair("ConvTranspose2d", (2, 3, 3), {"stride": 2}, [(1, 2, 4, 4)])
    assert_same(e(ein[0], output_size=[10, 10]), t(tin[0], output_size=[10, 10]))
    with pytest.raises(ValueError) as ee:
        e(ein[0], output_size=[20, 20])
    with pytest.raises(ValueError) as te:
        t(tin[0], output_size=[20, 20])
    assert str(ee.value) == str(te.value).replace("torch.Size", "ember.Size")


def test_batchnorm_running_stats_and_eval():
    for momentum in (0.1, None):
        e, t, ein, tin = _run_pair("BatchNorm2d", (3,), {"momentum": momentum}, [(4, 3, 2, 2)])
        for _ in range(3):
            e(ein[0])
            t(tin[0])
        for k, v in t.state_dict().items():
            assert_same(e.state_dict()[k], v, rtol=1e-6, atol=1e-8)
        e.eval()
        t.eval()
        assert_same(e(ein[0]), t(tin[0]), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name,shape", [("BatchNorm1d", (2, 3, 4, 5)), ("BatchNorm2d", (2, 3)),
                                        ("BatchNorm3d", (2, 3, 4)), ("InstanceNorm2d", (3,))])
def test_norm_input_dim_errors(name, shape):
    e, t = both(name, 3)
    with pytest.raises(ValueError) as te:
        t(torch.zeros(shape))
    with pytest.raises(ValueError, match=None) as ee:
        e(ember.zeros(shape))
    assert str(ee.value) == str(te.value)


def test_embedding_parity_and_padding_idx():
    torch.manual_seed(0)
    e, t = both("Embedding", 10, 3, padding_idx=2)
    assert float(np.abs(e.weight.detach().numpy()[2]).sum()) == 0.0
    copy_state(e, t)
    idx = [[1, 2, 4], [4, 3, 9]]
    eo, to = e(ember.tensor(idx)), t(torch.tensor(idx))
    assert_same(eo, to)
    eo.sum().backward()
    to.sum().backward()
    assert_same(e.weight.grad, t.weight.grad)
    w = torch.randn(4, 2)
    ep, tp = enn.Embedding.from_pretrained(to_ember(w)), tnn.Embedding.from_pretrained(w)
    assert repr(ep) == repr(tp) and ep.weight.requires_grad is False
    assert_same(ep(ember.tensor([3, 0])), tp(torch.tensor([3, 0])))


def test_embedding_bag_parity():
    torch.manual_seed(0)
    for mode in ("mean", "sum", "max"):
        e, t = both("EmbeddingBag", 10, 3, mode=mode)
        copy_state(e, t)
        inp, off = [1, 2, 4, 5, 4, 3, 2, 9], [0, 4]
        assert_same(e(ember.tensor(inp), ember.tensor(off)), t(torch.tensor(inp), torch.tensor(off)))


def test_lazy_linear():
    e = enn.LazyLinear(5)
    assert repr(e) == repr(tnn.LazyLinear(5))
    out = e(ember.ones(2, 7))
    assert type(e) is enn.Linear and e.in_features == 7 and tuple(out.shape) == (2, 5)
    assert repr(e) == "Linear(in_features=7, out_features=5, bias=True)"


# ---- default initialisation ------------------------------------------------------------------
def _bounds_ok(t, bound):
    a = t.detach().numpy()
    return np.abs(a).max() <= bound + 1e-7 and np.abs(a).max() > 0.5 * bound


@pytest.mark.parametrize("factory,fan_in", [
    (lambda: enn.Linear(50, 40), 50), (lambda: enn.Conv2d(6, 8, 5), 150), (lambda: enn.Conv1d(4, 8, 3, groups=2), 6),
    (lambda: enn.ConvTranspose2d(6, 8, 3), 72)])
def test_default_init_bounds(factory, fan_in):
    ember.manual_seed(0)
    m = factory()
    gain = math.sqrt(2.0 / (1 + 5))
    assert _bounds_ok(m.weight, gain * math.sqrt(3.0 / fan_in))
    assert _bounds_ok(m.bias, 1 / math.sqrt(fan_in))


def test_default_init_other_layers():
    ember.manual_seed(0)
    emb = enn.Embedding(1000, 20)
    w = emb.weight.detach().numpy()
    assert abs(w.mean()) < 0.02 and abs(w.std() - 1) < 0.02
    bn = enn.BatchNorm2d(5)
    assert (bn.weight.detach().numpy() == 1).all() and (bn.bias.detach().numpy() == 0).all()
    assert bn.num_batches_tracked.dtype is ember.int64 and bn.num_batches_tracked.item() == 0
    assert (enn.PReLU().weight.detach().numpy() == 0.25).all()
    bl = enn.Bilinear(16, 3, 4)
    assert _bounds_ok(bl.weight, 0.25)
    assert enn.Linear(3, 4).weight.dtype is ember.float32
    assert enn.Linear(3, 4, dtype=ember.float64).weight.dtype is ember.float64


# ---- whole-model reprs ------------------------------------------------------------------------
def _zoo(nn):
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(inplace=True), nn.MaxPool2d(2),
        nn.Sequential(nn.Conv2d(8, 8, 3, groups=2, bias=False), nn.GroupNorm(2, 8), nn.GELU()),
        nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Dropout(0.2),
        nn.ModuleList([nn.Linear(8, 8), nn.Linear(8, 8), nn.Tanh()]),
        nn.ModuleDict({"head": nn.Linear(8, 2), "act": nn.LogSoftmax(dim=1)}),
        nn.LayerNorm(8), nn.Embedding(5, 2, padding_idx=0), nn.LSTM if False else nn.Identity(),
        nn.CrossEntropyLoss(), nn.BCEWithLogitsLoss(), nn.TripletMarginWithDistanceLoss(), nn.Upsample(scale_factor=2))


def test_model_zoo_repr_and_keys():
    e, t = _zoo(enn), _zoo(tnn)
    assert str(e) == str(t)
    assert list(e.state_dict()) == list(t.state_dict())
    assert [n for n, _ in e.named_modules()] == [n for n, _ in t.named_modules()]
    assert sum(p.numel() for p in e.parameters()) == sum(p.numel() for p in t.parameters())
