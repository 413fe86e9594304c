"""nn.init, loss modules, nn.utils (clip_grad, vector conversion, weight/spectral norm, summary)."""
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
init = enn.init


# ---- init ----------------------------------------------------------------------------------
def test_calculate_gain_and_fans():
    for nl, p in [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
                  ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None)]:
        assert init.calculate_gain(nl, p) == pytest.approx(tnn.init.calculate_gain(nl, p))
    for f in (lambda i: i.calculate_gain("foo"), lambda i: i.calculate_gain("leaky_relu", "x"),
              lambda i: i.kaiming_uniform_(enn.Parameter(ember.empty(3, 4)) if i is init else
                                           torch.empty(3, 4), mode="fan_x"),
              lambda i: i.xavier_uniform_(ember.empty(3) if i is init else torch.empty(3)),
              lambda i: i.eye_(ember.empty(3) if i is init else torch.empty(3))):
        with pytest.raises(ValueError) as te:
            f(tnn.init)
        with pytest.raises(ValueError) as ee:
            f(init)
        assert str(ee.value) == str(te.value)
    w = ember.empty(8, 3, 5, 5)
    assert init._calculate_fan_in_and_fan_out(w) == tnn.init._calculate_fan_in_and_fan_out(torch.empty(8, 3, 5, 5))


def _stats(t):
    a = t.detach().numpy().astype(np.float64)
    return a.min(), a.max(), a.mean(), a.std()


def test_random_inits_statistics():
    ember.manual_seed(0)
    w = enn.Parameter(ember.empty(400, 300))
    assert init.uniform_(w, -2, 3) is w and w.requires_grad
    lo, hi, mean, _ = _stats(w)
    assert -2 <= lo and hi <= 3 and abs(mean - 0.5) < 0.02
    init.normal_(w, 1.0, 2.0)
    _, _, mean, std = _stats(w)
    assert abs(mean - 1) < 0.02 and abs(std - 2) < 0.02
    init.trunc_normal_(w, std=1.0, a=-1.5, b=2.0)
    lo, hi, _, _ = _stats(w)
    assert lo >= -1.5 and hi <= 2.0 and lo < -1.45 and hi > 1.95
    init.xavier_uniform_(w, gain=2.0)
    bound = 2.0 * math.sqrt(6.0 / 700)
    assert _stats(w)[1] <= bound and _stats(w)[1] > 0.95 * bound
    init.xavier_normal_(w)
    assert abs(_stats(w)[3] - math.sqrt(2.0 / 700)) < 0.002
    init.kaiming_uniform_(w, a=0, mode="fan_out", nonlinearity="relu")
    bound = math.sqrt(2.0) * math.sqrt(3.0 / 400)
    assert _stats(w)[1] <= bound and _stats(w)[1] > 0.95 * bound
    init.kaiming_normal_(w, nonlinearity="relu")
    assert abs(_stats(w)[3] - math.sqrt(2.0 / 300)) < 0.002
    init.constant_(w, 0.3)
    assert (w.detach().numpy() == np.float32(0.3)).all()
    init.zeros_(w)
    init.ones_(w)
    assert (w.detach().numpy() == 1).all()


def test_deterministic_inits_match_torch():
    for shape, groups in [((4, 2, 3), 1), ((6, 3, 3, 3), 2), ((2, 2, 3, 3, 3), 1)]:
        e, t = ember.empty(*shape), torch.empty(*shape)
        init.dirac_(e, groups)
        tnn.init.dirac_(t, groups)
        assert_same(e, t)
    e, t = ember.empty(3, 5), torch.empty(3, 5)
    assert_same(init.eye_(e), tnn.init.eye_(t))


def test_orthogonal_and_sparse():
    ember.manual_seed(0)
    for shape in [(5, 3), (3, 5), (4, 2, 2)]:
        w = init.orthogonal_(ember.empty(*shape), gain=2.0)
        m = w.detach().numpy().reshape(shape[0], -1).astype(np.float64)
        prod = m @ m.T if shape[0] <= m.shape[1] else m.T @ m
        np.testing.assert_allclose(prod, 4 * np.eye(prod.shape[0]), atol=1e-5)
    w = init.sparse_(ember.empty(10, 6), sparsity=0.3)
    assert ((w.detach().numpy() == 0).sum(axis=0) >= 3).all()


# ---- losses -------------------------------------------------------------------------------
def _rand(*s, seed=0):
    return np.random.default_rng(seed).standard_normal(s)


def _targets():
    r = np.random.default_rng(3)
    return {
        "cls": r.integers(0, 4, 5), "prob": r.uniform(0.05, 0.95, (5, 4)), "sign": np.sign(r.standard_normal(5)),
        "pos": r.uniform(0.1, 2, (5, 4)), "ml": np.array([[0, 2, -1, 1]] * 5), "bin": r.integers(0, 2, (5, 4)) * 1.0,
    }


LOSSES = [
    ("L1Loss", {}, ["x", "y"]), ("MSELoss", {"reduction": "sum"}, ["x", "y"]),
    ("CrossEntropyLoss", {}, ["x", "cls"]), ("CrossEntropyLoss", {"label_smoothing": 0.1, "weight": "w4"}, ["x", "cls"]),
    ("CrossEntropyLoss", {"reduction": "none", "ignore_index": 1}, ["x", "cls"]),
    ("NLLLoss", {"weight": "w4"}, ["logp", "cls"]), ("PoissonNLLLoss", {}, ["x", "pos"]),
    ("GaussianNLLLoss", {}, ["x", "y", "pos"]), ("KLDivLoss", {"reduction": "batchmean"}, ["logp", "prob"]),
    ("BCELoss", {}, ["prob", "bin"]), ("BCEWithLogitsLoss", {"pos_weight": "w4"}, ["x", "bin"]),
    ("MarginRankingLoss", {"margin": 0.1}, ["v", "v2", "sign"]), ("HingeEmbeddingLoss", {}, ["x", "sign4"]),
    ("MultiLabelMarginLoss", {}, ["x", "ml"]), ("SmoothL1Loss", {"beta": 0.5}, ["x", "y"]),
    ("HuberLoss", {"delta": 0.5}, ["x", "y"]), ("SoftMarginLoss", {}, ["x", "sign4"]),
    ("MultiLabelSoftMarginLoss", {}, ["x", "bin"]), ("CosineEmbeddingLoss", {}, ["x", "y", "sign"]),
    ("MultiMarginLoss", {"p": 2}, ["x", "cls"]), ("TripletMarginLoss", {}, ["x", "y", "z"]),
    ("TripletMarginWithDistanceLoss", {}, ["x", "y", "z"]),
]


@pytest.mark.parametrize("name,kwargs,args", LOSSES, ids=[f"{n}-{k}" for n, k, _ in LOSSES])
def test_loss_parity(name, kwargs, args):
    tg = _targets()
    x = _rand(5, 4)
    vals = {"x": x, "y": _rand(5, 4, seed=1), "z": _rand(5, 4, seed=2), "v": _rand(5), "v2": _rand(5, seed=1),
            "logp": x - np.log(np.exp(x).sum(1, keepdims=True)), "sign4": np.sign(_rand(5, 4, seed=4)), **tg}
    w4 = np.array([0.5, 1.0, 2.0, 1.5])
    tk = {k: (torch.tensor(w4) if v == "w4" else v) for k, v in kwargs.items()}
    ek = {k: (ember.tensor(w4) if v == "w4" else v) for k, v in kwargs.items()}
    tl, el = getattr(tnn, name)(**tk), getattr(enn, name)(**ek)
    assert repr(el) == repr(tl)
    assert list(el.state_dict()) == list(tl.state_dict())
    tin = [torch.tensor(vals[a], requires_grad=vals[a].dtype.kind == "f" and i == 0) for i, a in enumerate(args)]
    ein = [ember.tensor(vals[a], requires_grad=vals[a].dtype.kind == "f" and i == 0) for i, a in enumerate(args)]
    to, eo = tl(*tin), el(*ein)
    assert_same(eo, to, rtol=1e-6, atol=1e-9)
    to.sum().backward()
    eo.sum().backward()
    assert_same(ein[0].grad, tin[0].grad, rtol=1e-6, atol=1e-9)


def test_loss_legacy_reduction_args():
    with pytest.warns(UserWarning):
        m = enn.MSELoss(size_average=False)
    assert m.reduction == "sum"


# ---- utils ------------------------------------------------------------------------------------
@pytest.mark.parametrize("norm_type", [2.0, 1, float("inf"), 3.5])
def test_clip_grad_norm_parity(norm_type):
    torch.manual_seed(0)
    t = tnn.Sequential(tnn.Linear(4, 5), tnn.Tanh(), tnn.Linear(5, 2))
    e = enn.Sequential(enn.Linear(4, 5), enn.Tanh(), enn.Linear(5, 2))
    e.load_state_dict({k: to_ember(v) for k, v in t.state_dict().items()})
    x = _rand(3, 4).astype(np.float32) * 5
    t(torch.tensor(x)).pow(2).sum().backward()
    e(ember.tensor(x)).pow(2).sum().backward()
    tn = tnn.utils.clip_grad_norm_(t.parameters(), 0.5, norm_type)
    en = enn.utils.clip_grad_norm_(e.parameters(), 0.5, norm_type)
    assert_same(en, tn, rtol=1e-5)
    for ep, tp in zip(e.parameters(), t.parameters()):
        assert_same(ep.grad, tp.grad, rtol=1e-5, atol=1e-7)


def test_clip_grad_value_nonfinite_and_empty():
    p = enn.Parameter(ember.ones(3))
    p.grad = ember.tensor([-3.0, 0.5, 7.0])
    enn.utils.clip_grad_value_([p], 1.0)
    np.testing.assert_array_equal(p.grad.numpy(), [-1.0, 0.5, 1.0])
    p.grad = ember.tensor([float("nan"), 1.0, 1.0])
    tp = tnn.Parameter(torch.ones(3))
    tp.grad = torch.tensor([float("nan"), 1.0, 1.0])
    with pytest.raises(RuntimeError) as te:
        tnn.utils.clip_grad_norm_([tp], 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError) as ee:
        enn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert str(ee.value) == str(te.value)
    assert enn.utils.clip_grad_norm_([enn.Parameter(ember.ones(2))], 1.0).item() == 0.0


def test_parameters_vector_roundtrip():
    m = enn.Linear(3, 2)
    v = enn.utils.parameters_to_vector(m.parameters())
    assert tuple(v.shape) == (8,)
    enn.utils.vector_to_parameters(ember.arange(8.0), m.parameters())
    np.testing.assert_array_equal(m.weight.detach().numpy(), np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(m.bias.detach().numpy(), [6.0, 7.0])
    with pytest.raises(TypeError, match="expected torch.Tensor, but got: int"):
        enn.utils.vector_to_parameters(3, m.parameters())


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_weight_norm_parity():
    torch.manual_seed(0)
    t = torch.nn.utils.weight_norm(tnn.Linear(4, 3))
    e = enn.utils.weight_norm(enn.Linear(4, 3))
    assert list(e.state_dict()) == list(t.state_dict())
    e.load_state_dict({k: to_ember(v) for k, v in t.state_dict().items()})
    x = _rand(2, 4).astype(np.float32)
    to, eo = t(torch.tensor(x)), e(ember.tensor(x))
    assert_same(eo, to, rtol=1e-5)
    to.sum().backward()
    eo.sum().backward()
    assert_same(e.weight_g.grad, t.weight_g.grad, rtol=1e-5, atol=1e-6)
    assert_same(e.weight_v.grad, t.weight_v.grad, rtol=1e-5, atol=1e-6)
    enn.utils.remove_weight_norm(e)
    assert list(e.state_dict()) == ["bias", "weight"]


def test_spectral_norm_parity():
    torch.manual_seed(0)
    t = torch.nn.utils.spectral_norm(tnn.Linear(4, 3))
    e = enn.utils.spectral_norm(enn.Linear(4, 3))
    assert list(e.state_dict()) == list(t.state_dict())
    e.load_state_dict({k: to_ember(v) for k, v in t.state_dict().items()})
    x = _rand(2, 4).astype(np.float32)
    for train in (True, False):
        t.train(train)
        e.train(train)
        assert_same(e(ember.tensor(x)), t(torch.tensor(x)), rtol=1e-4, atol=1e-6)
        assert_same(e.weight_u, t.weight_u, rtol=1e-4, atol=1e-6)


def test_summary(capsys):
    net = enn.Sequential(enn.Conv2d(1, 6, 5), enn.ReLU(), enn.MaxPool2d(2), enn.Flatten(),
                         enn.Sequential(enn.Linear(6 * 12 * 12, 10), enn.Linear(10, 2)))
    s = enn.utils.summary(net, (1, 1, 28, 28))
    out = capsys.readouterr().out
    total = sum(p.numel() for p in net.parameters())
    assert s.total_params == total and s.trainable_params == total
    assert f"Total params: {total:,}" in out
    assert "├─Conv2d: 1-1" in out and "[1, 6, 24, 24]" in out and "│    └─Linear: 2-2" in out or \
        "│    ├─Linear: 2-2" in out
    assert "[1, 2]" in out
    assert not any(m._forward_hooks for m in net.modules())
