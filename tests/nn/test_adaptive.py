"""nn.AdaptiveLogSoftmaxWithLoss against torch: structure, repr, forward/log_prob/predict values and gradients,
argument and target checks."""
import numpy as np
import pytest

import ember
import ember.nn as enn
from tests.helpers import needs_torch, torch, to_ember, assert_same

pytestmark = [needs_torch, pytest.mark.filterwarnings("ignore:Initializing zero-element tensors is a no-op")]


def make_pair(*args, dtype="float64", **kwargs):
    """An ember and a torch module with the same configuration and torch's weights copied into ember's."""
    torch.manual_seed(0)
    t = torch.nn.AdaptiveLogSoftmaxWithLoss(*args, dtype=getattr(torch, dtype), **kwargs)
    e = enn.AdaptiveLogSoftmaxWithLoss(*args, dtype=getattr(ember, dtype), **kwargs)
    e.load_state_dict({k: to_ember(v) for k, v in t.state_dict().items()})
    return e, t


def params_pair(e, t):
    te = dict(e.named_parameters())
    tt = dict(t.named_parameters())
    assert list(te) == list(tt)
    return [(k, te[k], tt[k]) for k in tt]


def tol(dtype):
    return dict(rtol=1e-10, atol=1e-12) if dtype == "float64" else dict(rtol=1e-4, atol=1e-5)


# (in_features, n_classes, cutoffs, kwargs, batch targets or a single int target for the unbatched form)
CONFIGS = [
    (16, 20, [4, 10], {}, [0, 3, 4, 9, 10, 19, 12, 2]),
    (12, 30, [5, 12, 20], {"div_value": 2.0, "head_bias": True}, [29, 0, 13, 7, 5, 21, 11, 12, 4, 20]),
    (10, 8, [3], {"div_value": 1.0}, [7, 3, 1, 6]),
    (8, 10, [3, 6], {}, [5]),                              # batch of one
    (8, 10, [3, 6], {"head_bias": True}, [0, 1, 2, 2]),     # only the shortlist is hit
    (9, 12, [2, 5, 9], {"div_value": 3.0}, [11, 10, 9]),     # only the last cluster is hit
    (8, 10, [3, 6], {}, 7),                                 # unbatched
    (8, 10, [3, 6], {"head_bias": True}, 1),                # unbatched, shortlist
    (7, 6, [1, 2, 3, 4, 5], {"div_value": 1.5}, [5, 0, 1, 2, 3, 4, 5]),  # singleton clusters
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("cfg", CONFIGS, ids=[f"c{i}" for i in range(len(CONFIGS))])
def test_forward_and_grads(cfg, dtype):
    in_f, n_cls, cutoffs, kw, targets = cfg
    e, t = make_pair(in_f, n_cls, cutoffs, dtype=dtype, **kw)
    unbatched = isinstance(targets, int)
    rng = np.random.default_rng(1)
    x = rng.standard_normal(in_f if unbatched else (len(targets), in_f)).astype(dtype)
    w = rng.standard_normal(() if unbatched else len(targets)).astype(dtype)

    tx = torch.tensor(x, requires_grad=True)
    ex = ember.tensor(x, requires_grad=True)
    tout = t(tx, torch.tensor(targets))
    eout = e(ex, ember.tensor(targets))

    assert type(eout).__name__ == "_ASMoutput" and eout._fields == ("output", "loss")
    assert_same(eout.output, tout.output, **tol(dtype))
    assert_same(eout.loss, tout.loss, **tol(dtype))
    assert eout.output.requires_grad and eout.loss.requires_grad

    (tout.loss + (tout.output * torch.tensor(w)).sum()).backward()
    (eout.loss + (eout.output * ember.tensor(w)).sum()).backward()
    assert_same(ex.grad, tx.grad, **tol(dtype))
    for name, ep, tp in params_pair(e, t):
        if tp.grad is None:         # clusters no target reached are not evaluated at all
            assert ep.grad is None or not ep.grad.detach().numpy().any(), name
        else:
            assert ep.grad is not None, name
            assert_same(ep.grad, tp.grad, **tol(dtype))


@pytest.mark.parametrize("cfg", [c for c in CONFIGS if not isinstance(c[4], int)][:3],
                         ids=["c0", "c1", "c2"])
def test_log_prob_and_grads(cfg):
    in_f, n_cls, cutoffs, kw, _ = cfg
    e, t = make_pair(in_f, n_cls, cutoffs, **kw)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((6, in_f))
    w = rng.standard_normal((6, n_cls))
    tx = torch.tensor(x, requires_grad=True)
    ex = ember.tensor(x, requires_grad=True)
    tlp = t.log_prob(tx)
    elp = e.log_prob(ex)
    assert_same(elp, tlp, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.exp(elp.detach().numpy()).sum(1), 1.0, rtol=1e-10)
    (tlp * torch.tensor(w)).sum().backward()
    (elp * ember.tensor(w)).sum().backward()
    assert_same(ex.grad, tx.grad, rtol=1e-10, atol=1e-12)
    for name, ep, tp in params_pair(e, t):
        assert_same(ep.grad, tp.grad, rtol=1e-10, atol=1e-12)
    # forward's per-target output agrees with the full distribution
    tg = [0, n_cls - 1, cutoffs[0], cutoffs[-1], 1, n_cls // 2]
    out = e(ember.tensor(x), ember.tensor(tg)).output.detach().numpy()
    np.testing.assert_allclose(out, elp.detach().numpy()[np.arange(6), tg], rtol=1e-10)


@pytest.mark.parametrize("branch", ["mixed", "shortlist", "tail"])
def test_predict(branch):
    e, t = make_pair(8, 20, [4, 9, 15], head_bias=True)
    with torch.no_grad():
        if branch == "shortlist":
            t.head.bias[:4] += 50.0
        elif branch == "tail":
            t.head.bias[4:] += 50.0
    e.load_state_dict({k: to_ember(v) for k, v in t.state_dict().items()})
    x = np.random.default_rng(3).standard_normal((40, 8)) * 3
    tp = t.predict(torch.tensor(x))
    ep = e.predict(ember.tensor(x))
    assert_same(ep, tp)
    assert_same(ep, t.log_prob(torch.tensor(x)).argmax(dim=1))
    head_arg = t.head(torch.tensor(x)).argmax(1)
    in_tail = (head_arg >= 4)
    if branch == "mixed":
        assert in_tail.any() and not in_tail.all()
    else:
        assert bool(in_tail.all()) == (branch == "tail") and bool(in_tail.any()) == (branch == "tail")


@pytest.mark.parametrize("args,kw", [
    ((16, 20, [4, 10]), {}),
    ((12, 30, (5, 12, 20)), {"div_value": 2.0, "head_bias": True}),
    ((8, 10, [3, 6]), {}),                      # the last cluster's hidden size rounds down to 0
    ((64, 1000, [10, 100, 500]), {"div_value": 3.0}),
])
def test_structure_state_dict_and_repr(args, kw):
    torch.manual_seed(0)
    t = torch.nn.AdaptiveLogSoftmaxWithLoss(*args, **kw)
    e = enn.AdaptiveLogSoftmaxWithLoss(*args, **kw)
    assert [(k, tuple(v.shape)) for k, v in e.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in t.state_dict().items()]
    assert repr(e) == repr(t)
    for attr in ("in_features", "n_classes", "cutoffs", "div_value", "head_bias", "shortlist_size", "n_clusters",
                 "head_size"):
        assert getattr(e, attr) == getattr(t, attr), attr
    assert isinstance(e.head, enn.Linear) and isinstance(e.tail, enn.ModuleList)
    assert all(isinstance(s, enn.Sequential) and len(s) == 2 for s in e.tail)
    assert all(p.dtype == ember.float32 for p in e.parameters())


def test_dtype_and_reset_parameters():
    e = enn.AdaptiveLogSoftmaxWithLoss(16, 20, [4, 10], head_bias=True, dtype=ember.float64)
    assert all(p.dtype == ember.float64 for p in e.parameters())
    before = {k: v.clone() for k, v in e.state_dict().items()}
    e.reset_parameters()
    after = e.state_dict()
    for k in before:
        assert not np.array_equal(before[k].numpy(), after[k].numpy()), k
    bound = 1 / np.sqrt(16)      # every Linear here has fan_in 16 except the second tail layers
    assert np.abs(after["head.weight"].numpy()).max() <= bound
    assert np.abs(after["head.bias"].numpy()).max() <= bound
    assert np.abs(after["tail.0.1.weight"].numpy()).max() <= 1 / np.sqrt(4)


def outcome(fn):
    try:
        fn()
    except Exception as exc:   # noqa: BLE001
        return type(exc).__name__, str(exc).replace("torch.Size", "Size").replace("ember.Size", "Size")
    return None


@pytest.mark.parametrize("cutoffs,n_classes", [
    ([], 10), ([5, 3], 10), ([0, 3], 10), ([-1, 3], 10), ([3, 10], 10), ([3, 3], 10), ([2.5], 10),
    ([3, 9], 10), ((1,), 2), ([1], 1),
])
def test_cutoff_checks(cutoffs, n_classes):
    te = outcome(lambda: torch.nn.AdaptiveLogSoftmaxWithLoss(4, n_classes, cutoffs))
    ee = outcome(lambda: enn.AdaptiveLogSoftmaxWithLoss(4, n_classes, cutoffs))
    assert ee == te


@pytest.mark.parametrize("xshape,target", [
    ((4, 8), [0, 4, 17, -2]),     # out of range on both sides
    ((3, 8), [0, 10, 1]),         # n_classes itself
    ((2, 8), [-1, -5]),
    ((8,), 10),                   # unbatched, out of range
    ((4, 8), [0, 1, 2]),          # batch size mismatch
    ((4, 8, 2), [0, 1, 2, 3]),    # 1-D target with 3-D input
    ((2, 8), 3),                  # 0-D target with 2-D input
    ((2, 8), [[0, 1], [2, 3]]),   # multi-target
])
def test_forward_checks(xshape, target):
    e, t = make_pair(8, 10, [3, 6])
    x = np.zeros(xshape)
    te = outcome(lambda: t(torch.tensor(x), torch.tensor(target)))
    ee = outcome(lambda: e(ember.tensor(x), ember.tensor(target)))
    assert te is not None and ee == te


def test_empty_batch():
    e, t = make_pair(8, 10, [3, 6])
    eo = e(ember.zeros(0, 8, dtype=ember.float64), ember.zeros(0, dtype=ember.int64))
    to = t(torch.zeros(0, 8, dtype=torch.float64), torch.zeros(0, dtype=torch.int64))
    assert_same(eo.output, to.output)
    assert_same(eo.loss, to.loss)


def test_int32_target_and_training_step():
    e, t = make_pair(8, 10, [3, 6], dtype="float32")
    x = np.random.default_rng(4).standard_normal((5, 8)).astype("float32")
    tg = [9, 0, 4, 3, 8]
    to = t(torch.tensor(x), torch.tensor(tg, dtype=torch.int32))
    eo = e(ember.tensor(x), ember.tensor(tg, dtype=ember.int32))
    assert_same(eo.output, to.output, rtol=1e-5, atol=1e-6)
    opt = ember.optim.SGD(e.parameters(), lr=0.5)
    first = eo.loss.item()
    for _ in range(5):
        opt.zero_grad()
        loss = e(ember.tensor(x), ember.tensor(tg)).loss
        loss.backward()
        opt.step()
    assert loss.item() < first
