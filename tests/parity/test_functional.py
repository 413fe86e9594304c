"""torch.nn.functional parity (activations, softmax, linear, normalization, dropout, embedding,
distances): forward values/dtype/shape, input and weight gradients, float64 gradcheck/gradgradcheck."""
import warnings

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from tests.helpers import needs_torch, assert_same

torch = pytest.importorskip("torch")
TF = torch.nn.functional
pytestmark = needs_torch

RNG = np.random.default_rng(0)


def arr(*shape, dtype=np.float32, lo=-3, hi=3):
    return RNG.uniform(lo, hi, shape).astype(dtype)


def pair(a, rg=True):
    e = ember.from_numpy(a.copy())
    t = torch.from_numpy(a.copy())
    if rg and a.dtype.kind == "f":
        e.requires_grad_()
        t.requires_grad_()
    return e, t


def check(fe, ft, *arrays, rtol=1e-5, atol=1e-6, grad=True):
    """Forward parity, then gradient parity of every float input under a random output gradient."""
    es, ts = zip(*(pair(a, grad) for a in arrays))
    oe, ot = fe(*es), ft(*ts)
    assert_same(oe, ot, rtol=rtol, atol=atol)
    if grad and ot.requires_grad:
        g = RNG.standard_normal(tuple(ot.shape)).astype(arrays[0].dtype)
        (oe * ember.from_numpy(g)).sum().backward()
        (ot * torch.from_numpy(g)).sum().backward()
        for e, t in zip(es, ts):
            if t.grad is not None:
                assert_same(e.grad, t.grad, rtol=max(rtol, 1e-4), atol=max(atol, 1e-5))
    return oe, ot


def gradchecks(fn, *arrays):
    ins = tuple(ember.from_numpy(a.astype(np.float64)).requires_grad_() for a in arrays)

    def with_grad(*a):    # gradgradcheck's finite differences call fn under no_grad; keep the graph
        with ember.enable_grad():
            return fn(*a)
    assert ember.autograd.gradcheck(fn, ins)
    assert ember.autograd.gradgradcheck(with_grad, ins)


# values kept away from the kinks, where finite differences are meaningless
def smooth_arr(*shape):
    a = arr(*shape)
    return np.where(np.abs(a) < 0.1, a + 0.3, a).astype(np.float32)


ACTIVATIONS = [
    ("relu", lambda m, x: m.relu(x)),
    ("relu6", lambda m, x: m.relu6(x * 3)),
    ("elu", lambda m, x: m.elu(x, alpha=0.7)),
    ("selu", lambda m, x: m.selu(x)),
    ("celu", lambda m, x: m.celu(x, alpha=1.3)),
    ("gelu", lambda m, x: m.gelu(x)),
    ("gelu_tanh", lambda m, x: m.gelu(x, approximate="tanh")),
    ("hardshrink", lambda m, x: m.hardshrink(x, 0.6)),
    ("hardtanh", lambda m, x: m.hardtanh(x, -1.5, 2.0)),
    ("hardsigmoid", lambda m, x: m.hardsigmoid(x)),
    ("hardswish", lambda m, x: m.hardswish(x)),
    ("leaky_relu", lambda m, x: m.leaky_relu(x, 0.2)),
    ("rrelu_eval", lambda m, x: m.rrelu(x)),
    ("sigmoid", lambda m, x: m.sigmoid(x)),
    ("logsigmoid", lambda m, x: m.logsigmoid(x)),
    ("silu", lambda m, x: m.silu(x)),
    ("mish", lambda m, x: m.mish(x)),
    ("softplus", lambda m, x: m.softplus(x)),
    ("softplus_beta", lambda m, x: m.softplus(x, beta=2.0, threshold=3.0)),
    ("softshrink", lambda m, x: m.softshrink(x, 0.7)),
    ("softsign", lambda m, x: m.softsign(x)),
    ("tanh", lambda m, x: m.tanh(x)),
    ("tanhshrink", lambda m, x: m.tanhshrink(x)),
    ("threshold", lambda m, x: m.threshold(x, 0.5, -2.0)),
    ("glu", lambda m, x: m.glu(x, dim=1)),
    ("glu_last", lambda m, x: m.glu(x)),
    ("softmax", lambda m, x: m.softmax(x, dim=1)),
    ("softmax0", lambda m, x: m.softmax(x, dim=0)),
    ("log_softmax", lambda m, x: m.log_softmax(x, dim=-1)),
    ("softmin", lambda m, x: m.softmin(x, dim=1)),
]


@pytest.mark.parametrize("name,f", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation_parity(name, f):
    check(lambda x: f(F, x), lambda x: f(TF, x), smooth_arr(3, 4))


@pytest.mark.parametrize("name,f", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation_gradcheck(name, f):
    gradchecks(lambda x: f(F, x), smooth_arr(2, 4).astype(np.float64))


def test_activation_names_and_extremes():
    x = ember.tensor([-100.0, -20.0, 0.0, 20.0, 100.0], requires_grad=True)
    tx = torch.tensor([-100.0, -20.0, 0.0, 20.0, 100.0], requires_grad=True)
    for fname in ("logsigmoid", "softplus", "elu", "silu", "mish", "gelu", "hardswish", "hardtanh", "leaky_relu"):
        oe, ot = getattr(F, fname)(x), getattr(TF, fname)(tx)
        assert_same(oe, ot)
        assert oe.grad_fn.name() == ot.grad_fn.name()
    assert F.softmax(x, 0).grad_fn.name() == "SoftmaxBackward0"


def test_prelu_and_rrelu_training():
    check(F.prelu, TF.prelu, smooth_arr(2, 3, 4), np.array([0.1, 0.2, 0.3], np.float32))
    check(F.prelu, TF.prelu, smooth_arr(2, 3), np.array([0.25], np.float32))
    ember.manual_seed(0)
    x = ember.tensor(smooth_arr(50))
    y = F.rrelu(x, 0.1, 0.3, training=True)
    ratio = (y / x).numpy()
    neg = x.numpy() < 0
    assert np.all(ratio[~neg] == 1) and np.all((ratio[neg] >= 0.1 - 1e-6) & (ratio[neg] <= 0.3 + 1e-6))
    assert len(np.unique(ratio[neg])) > 1


def test_inplace_variants():
    a = smooth_arr(3, 4)
    for fname, kw in (("relu", {}), ("elu", {}), ("leaky_relu", {}), ("hardtanh", {}), ("selu", {}), ("celu", {}),
                      ("threshold", dict(threshold=0.2, value=1.0)), ("silu", {}), ("relu6", {}), ("hardswish", {}),
                      ("hardsigmoid", {}), ("mish", {})):
        e, t = ember.tensor(a), torch.tensor(a)
        re = getattr(F, fname)(e, inplace=True, **kw)
        rt = getattr(TF, fname)(t, inplace=True, **kw)
        assert re is e
        assert_same(e, t)
    e, t = ember.tensor(a), torch.tensor(a)
    F.relu_(e), TF.relu_(t)
    assert_same(e, t)


def test_softmax_dtype_warning_and_errors():
    a = arr(2, 3, 4)
    e, t = ember.tensor(a), torch.tensor(a)
    assert_same(F.softmax(e, 1, dtype=ember.float64), TF.softmax(t, 1, dtype=torch.float64))
    assert_same(F.log_softmax(e, 2, dtype=ember.float64), TF.log_softmax(t, 2, dtype=torch.float64))
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        r = F.softmax(e)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_same(r, TF.softmax(t))
        assert_same(F.log_softmax(ember.tensor(a[0])), TF.log_softmax(torch.tensor(a[0])))
    assert_same(ember.softmax(e, -1), torch.softmax(t, -1))
    assert_same(e.log_softmax(0), t.log_softmax(0))
    with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
        F.softmax(ember.tensor([1, 2]), 0)
    with pytest.raises(IndexError, match="Dimension out of range"):
        F.softmax(e, 3)
    # 0-d and -inf entries
    assert_same(F.softmax(ember.tensor(2.0), 0), TF.softmax(torch.tensor(2.0), 0))
    inf = np.array([[0.0, -np.inf, 1.0]], np.float32)
    assert_same(F.log_softmax(ember.tensor(inf), 1), TF.log_softmax(torch.tensor(inf), 1))


def test_gumbel_softmax():
    ember.manual_seed(0)
    x = ember.tensor(arr(4, 5), requires_grad=True)
    y = F.gumbel_softmax(x, tau=0.5)
    np.testing.assert_allclose(y.sum(-1).detach().numpy(), 1, rtol=1e-5)
    h = F.gumbel_softmax(x, hard=True)
    hn = h.detach().numpy()
    assert set(np.unique(hn)) <= {0.0, 1.0} and np.all(hn.sum(-1) == 1)
    h.sum().backward()
    assert x.grad is not None


# ---- linear ----------------------------------------------------------------------------------
@pytest.mark.parametrize("xs", [(5, 4), (4,), (2, 3, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear(xs, bias):
    args = [arr(*xs), arr(3, 4)] + ([arr(3)] if bias else [])
    oe, ot = check(F.linear, TF.linear, *args)
    if len(xs) == 2:
        assert oe.grad_fn.name() == ot.grad_fn.name()


def test_linear_errors_and_bilinear():
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(16x576 and 400x120\)"):
        F.linear(ember.randn(16, 576), ember.randn(120, 400), ember.randn(120))
    with pytest.raises(RuntimeError, match=r"\(32x576 and 400x120\)"):
        F.linear(ember.randn(2, 16, 576), ember.randn(120, 400))
    check(F.bilinear, TF.bilinear, arr(5, 3), arr(5, 4), arr(2, 3, 4), arr(2))
    check(F.bilinear, TF.bilinear, arr(2, 5, 3), arr(2, 5, 4), arr(2, 3, 4))
    gradchecks(F.linear, arr(2, 3), arr(4, 3), arr(4))
    gradchecks(F.bilinear, arr(2, 3), arr(2, 2), arr(2, 3, 2), arr(2))


@pytest.mark.parametrize("dtypes", [("float64", "float32", "float32"), ("float32", "float32", "float64"),
                                    ("float64", "float32", "float64"), ("int64", "float32", "float32"),
                                    ("float16", "float32", "float32"), ("float32", "float64", "float64")], ids=str)
@pytest.mark.parametrize("fn, xs", [(fn, xs) for fn in ("linear", "module") for xs in ((3, 2), (4, 3, 2), (2,))]
                         + [("addmm", (3, 2))], ids=str)
def test_mixed_dtypes_raise_like_torch(fn, xs, dtypes):
    """nn.Linear fed a float64 batch raises in torch (it does not promote); so do addmm and F.linear with a bias."""
    def run(m):
        x, w, b = (m.ones(*s, dtype=getattr(m, d)) for s, d in zip((xs, (2, 2), (2,)), dtypes))
        if fn == "addmm":
            return m.addmm(b, x, w)
        if fn == "module":
            lin = m.nn.Linear(2, 2, dtype=w.dtype)
            lin.bias.data = b
            return lin(x)
        return m.nn.functional.linear(x, w, b)
    with pytest.raises(RuntimeError) as te:
        run(torch)
    with pytest.raises(RuntimeError) as ee:
        run(ember)
    assert str(ee.value).split("\n\n")[0] == str(te.value)


# ---- normalization ---------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(4, 3), (4, 3, 5), (2, 3, 2, 2)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm(shape, training):
    C = shape[1]
    rm, rv = arr(C), arr(C, lo=0.5, hi=2)
    erm, erv = ember.tensor(rm), ember.tensor(rv)
    trm, trv = torch.tensor(rm), torch.tensor(rv)
    check(lambda x, w, b: F.batch_norm(x, erm, erv, w, b, training, 0.3, 1e-3),
          lambda x, w, b: TF.batch_norm(x, trm, trv, w, b, training, 0.3, 1e-3),
          arr(*shape), arr(C), arr(C), rtol=1e-4, atol=1e-5)
    assert_same(erm, trm, rtol=1e-5)
    assert_same(erv, trv, rtol=1e-5)
    gradchecks(lambda x, w, b: F.batch_norm(x, None if training else erm.double(), None if training else erv.double(),
                                            w, b, training), arr(*shape), arr(C), arr(C))


def test_batch_norm_misc():
    check(lambda x: F.batch_norm(x, None, None, training=True), lambda x: TF.batch_norm(x, None, None, training=True),
          arr(4, 3, 2))
    with pytest.raises(ValueError, match=r"Expected more than 1 value per channel when training, got input size "
                                         r"\w+.Size\(\[1, 3\]\)"):
        F.batch_norm(ember.randn(1, 3), None, None, training=True)
    rm = ember.zeros(3)
    v = rm._version
    F.batch_norm(ember.randn(4, 3), rm, ember.ones(3), training=True)
    assert rm._version > v
    x = ember.randn(4, 3, requires_grad=True)
    assert F.batch_norm(x, None, None, training=True).grad_fn.name() == "NativeBatchNormBackward0"


@pytest.mark.parametrize("shape,ns", [((4, 6), (6,)), ((2, 3, 4), (3, 4)), ((2, 3, 4), 4)])
def test_layer_norm(shape, ns):
    nsh = (ns,) if isinstance(ns, int) else ns
    check(lambda x, w, b: F.layer_norm(x, ns, w, b, 1e-4), lambda x, w, b: TF.layer_norm(x, nsh, w, b, 1e-4),
          arr(*shape), arr(*nsh), arr(*nsh), rtol=1e-4, atol=1e-5)
    check(lambda x: F.layer_norm(x, ns), lambda x: TF.layer_norm(x, nsh), arr(*shape), rtol=1e-4, atol=1e-5)
    gradchecks(lambda x, w, b: F.layer_norm(x, ns, w, b), arr(*shape), arr(*nsh), arr(*nsh))
    with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[5\], expected input with shape \[\*, 5\], "
                                           r"but got input of size\[4, 3\]"):
        F.layer_norm(ember.randn(4, 3), (5,))


def test_group_norm_instance_norm_rms():
    check(lambda x, w, b: F.group_norm(x, 2, w, b), lambda x, w, b: TF.group_norm(x, 2, w, b),
          arr(2, 4, 3), arr(4), arr(4), rtol=1e-4, atol=1e-5)
    check(lambda x: F.group_norm(x, 3), lambda x: TF.group_norm(x, 3), arr(2, 6, 2, 2), rtol=1e-4, atol=1e-5)
    gradchecks(lambda x, w, b: F.group_norm(x, 2, w, b), arr(2, 4, 3), arr(4), arr(4))
    with pytest.raises(RuntimeError, match=r"divisible by num_groups, but got input of shape \[2, 6, 4\] and "
                                           r"num_groups=4"):
        F.group_norm(ember.randn(2, 6, 4), 4)
    rm, rv = np.zeros(3, np.float32), np.ones(3, np.float32)
    erm, erv, trm, trv = ember.tensor(rm), ember.tensor(rv), torch.tensor(rm), torch.tensor(rv)
    check(lambda x, w, b: F.instance_norm(x, erm, erv, w, b), lambda x, w, b: TF.instance_norm(x, trm, trv, w, b),
          arr(2, 3, 5), arr(3), arr(3), rtol=1e-4, atol=1e-5)
    assert_same(erm, trm), assert_same(erv, trv)
    check(lambda x: F.instance_norm(x, erm, erv, use_input_stats=False),
          lambda x: TF.instance_norm(x, trm, trv, use_input_stats=False), arr(2, 3, 5), rtol=1e-4, atol=1e-5)
    gradchecks(lambda x: F.instance_norm(x), arr(2, 2, 3))
    check(lambda x, w: F.rms_norm(x, (4,), w, 1e-5), lambda x, w: TF.rms_norm(x, (4,), w, 1e-5), arr(3, 4), arr(4),
          rtol=1e-4, atol=1e-5)
    check(lambda x: F.rms_norm(x, (3, 4)), lambda x: TF.rms_norm(x, (3, 4)), arr(2, 3, 4), rtol=1e-4, atol=1e-5)


def test_local_response_norm_and_normalize():
    for size in (2, 3):
        check(lambda x: F.local_response_norm(x, size), lambda x: TF.local_response_norm(x, size),
              arr(2, 5, 3), rtol=1e-4)
    check(lambda x: F.local_response_norm(x, 3, 0.1, 0.5, 2.0), lambda x: TF.local_response_norm(x, 3, 0.1, 0.5, 2.0),
          arr(1, 4, 2, 2), rtol=1e-4)
    gradchecks(lambda x: F.local_response_norm(x, 2, alpha=0.5), arr(1, 3, 2))
    check(F.normalize, TF.normalize, arr(3, 4))
    check(lambda x: F.normalize(x, p=1, dim=0), lambda x: TF.normalize(x, p=1, dim=0), arr(3, 4))
    gradchecks(F.normalize, arr(2, 3))


# ---- dropout ---------------------------------------------------------------------------------
def test_dropout_train_eval():
    ember.manual_seed(0)
    x = ember.ones(200, 50, requires_grad=True)
    y = F.dropout(x, 0.3)
    yn = y.detach().numpy()
    assert set(np.unique(yn)).issubset({0.0, np.float32(1 / 0.7)})
    assert abs((yn == 0).mean() - 0.3) < 0.03
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), yn)
    assert y.grad_fn.name() == "MulBackward0"
    assert F.dropout(x, 0.3, training=False) is x
    assert_same(F.dropout(ember.ones(3), 1.0), TF.dropout(torch.ones(3), 1.0))
    assert_same(F.dropout(ember.ones(3), 0.0), TF.dropout(torch.ones(3), 0.0))
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        F.dropout(x, 1.5)
    z = ember.ones(10, 10)
    assert F.dropout(z, 0.5, inplace=True) is z
    assert (z.numpy() == 0).any()
    ember.manual_seed(1)
    a = F.dropout(ember.ones(5, 5), 0.5)
    ember.manual_seed(1)
    np.testing.assert_array_equal(a.numpy(), F.dropout(ember.ones(5, 5), 0.5).numpy())


def test_channel_dropout():
    ember.manual_seed(0)
    for f, shape in ((F.dropout1d, (8, 6, 5)), (F.dropout2d, (8, 6, 3, 3)), (F.dropout3d, (4, 6, 2, 2, 2)),
                     (F.dropout1d, (6, 5)), (F.dropout3d, (6, 2, 2, 2))):
        y = f(ember.ones(*shape), 0.5).numpy()
        lead = 2 if len(shape) in (3, 4, 5) and not (f is F.dropout3d and len(shape) == 4) else 1
        per = y.reshape(shape[:lead] + (-1,))
        assert np.all(per.min(-1) == per.max(-1))
        assert set(np.unique(y)) <= {0.0, 2.0}
    with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input, but received a 4D input"):
        F.dropout1d(ember.ones(2, 3, 4, 5))
    with pytest.warns(UserWarning, match="Received a 2-D input to dropout2d"):
        F.dropout2d(ember.ones(2, 3))


def test_alpha_dropout():
    ember.manual_seed(0)
    x = ember.tensor(RNG.standard_normal((400, 100)).astype(np.float32), requires_grad=True)
    y = F.alpha_dropout(x, 0.2, training=True)
    yn = y.detach().numpy()
    assert abs(yn.mean()) < 0.05 and abs(yn.std() - 1) < 0.05     # self-normalising
    assert y.grad_fn.name() == "AddBackward0"
    assert F.alpha_dropout(x, 0.2) is x
    f = F.feature_alpha_dropout(ember.ones(4, 6, 3), 0.5, training=True).numpy()
    assert np.all(f.min(-1) == f.max(-1))


# ---- embedding -------------------------------------------------------------------------------
def test_embedding():
    idx = np.array([[0, 2, 4], [4, 3, 0]])
    w = arr(5, 3)
    ei, ti = ember.tensor(idx), torch.tensor(idx)
    for kw in ({}, dict(padding_idx=0), dict(padding_idx=-1), dict(scale_grad_by_freq=True)):
        oe, ot = check(lambda w: F.embedding(ei, w, **kw), lambda w: TF.embedding(ti, w, **kw), w)
        assert oe.grad_fn.name() == ot.grad_fn.name()
    gradchecks(lambda w: F.embedding(ei, w, padding_idx=1), w)
    assert_same(ember.embedding(ember.tensor(w), ei), torch.embedding(torch.tensor(w), ti))


def test_embedding_max_norm_and_errors():
    w = arr(5, 3)
    ew, tw = ember.tensor(w), torch.tensor(w)
    idx = np.array([1, 3, 3])
    assert_same(F.embedding(ember.tensor(idx), ew, max_norm=1.0), TF.embedding(torch.tensor(idx), tw, max_norm=1.0))
    assert_same(ew, tw)       # rows renormalised in place
    with pytest.raises(IndexError, match="index out of range in self"):
        F.embedding(ember.tensor([5]), ew)
    with pytest.raises(RuntimeError, match="Expected tensor for argument #1 'indices' to have one of the following "
                                           "scalar types: Long, Int; but got torch.FloatTensor instead"):
        F.embedding(ember.tensor([1.0]), ew)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag(mode):
    w = arr(6, 3)
    flat, offs = np.array([0, 2, 5, 1, 1, 3, 4]), np.array([0, 3, 3, 5])
    fe, te = ember.tensor(flat), torch.tensor(flat)
    oe, ote = ember.tensor(offs), torch.tensor(offs)
    check(lambda w: F.embedding_bag(fe, w, oe, mode=mode), lambda w: TF.embedding_bag(te, w, ote, mode=mode), w)
    idx2 = np.array([[0, 1, 2], [5, 5, 1]])
    check(lambda w: F.embedding_bag(ember.tensor(idx2), w, mode=mode),
          lambda w: TF.embedding_bag(torch.tensor(idx2), w, mode=mode), w)
    check(lambda w: F.embedding_bag(fe, w, oe, mode=mode, padding_idx=1),
          lambda w: TF.embedding_bag(te, w, ote, mode=mode, padding_idx=1), w)
    check(lambda w: F.embedding_bag(fe, w, ember.tensor([0, 3, 7]), mode=mode, include_last_offset=True),
          lambda w: TF.embedding_bag(te, w, torch.tensor([0, 3, 7]), mode=mode, include_last_offset=True), w)
    if mode == "sum":
        psw = arr(7)
        check(lambda w, p: F.embedding_bag(fe, w, oe, mode="sum", per_sample_weights=p),
              lambda w, p: TF.embedding_bag(te, w, ote, mode="sum", per_sample_weights=p), w, psw)


def test_one_hot():
    t = np.array([[0, 3], [1, 2]])
    assert_same(F.one_hot(ember.tensor(t)), TF.one_hot(torch.tensor(t)))
    assert_same(F.one_hot(ember.tensor(t), 6), TF.one_hot(torch.tensor(t), 6))
    with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes."):
        F.one_hot(ember.tensor([1, 2]), 2)
    with pytest.raises(RuntimeError, match="one_hot is only applicable to index tensor of type LongTensor."):
        F.one_hot(ember.tensor([1.0]))


# ---- distances -------------------------------------------------------------------------------
def test_distances():
    check(F.cosine_similarity, TF.cosine_similarity, arr(4, 3), arr(4, 3))
    check(lambda a, b: F.cosine_similarity(a, b, dim=0), lambda a, b: TF.cosine_similarity(a, b, dim=0),
          arr(4, 3), arr(1, 3))
    check(F.pairwise_distance, TF.pairwise_distance, arr(4, 3), arr(4, 3))
    check(lambda a, b: F.pairwise_distance(a, b, p=1, keepdim=True),
          lambda a, b: TF.pairwise_distance(a, b, p=1, keepdim=True), arr(4, 3), arr(4, 3))
    check(F.pdist, TF.pdist, arr(5, 3))
    check(lambda a: F.pdist(a, p=1), lambda a: TF.pdist(a, p=1), arr(4, 3))
    check(ember.cdist, torch.cdist, arr(4, 3), arr(2, 3), rtol=1e-4)
    gradchecks(F.cosine_similarity, arr(2, 3), arr(2, 3))
    gradchecks(F.pairwise_distance, arr(2, 3), arr(2, 3))
    gradchecks(F.pdist, arr(3, 2))


def test_scaled_dot_product_attention():
    q, k, v = arr(2, 3, 4, 5), arr(2, 3, 6, 5), arr(2, 3, 6, 2)
    check(F.scaled_dot_product_attention, TF.scaled_dot_product_attention, q, k, v, rtol=1e-4, atol=1e-5)
    check(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, is_causal=True, scale=0.3),
          lambda a, b, c: TF.scaled_dot_product_attention(a, b, c, is_causal=True, scale=0.3), q, k, v,
          rtol=1e-4, atol=1e-5)
    m = RNG.random((4, 6)) > 0.3
    m[:, 0] = True
    check(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, attn_mask=ember.tensor(m)),
          lambda a, b, c: TF.scaled_dot_product_attention(a, b, c, attn_mask=torch.tensor(m)), q, k, v,
          rtol=1e-4, atol=1e-5)
    check(lambda a, b, c, d: F.scaled_dot_product_attention(a, b, c, attn_mask=d),
          lambda a, b, c, d: TF.scaled_dot_product_attention(a, b, c, attn_mask=d), q, k, v, arr(4, 6),
          rtol=1e-4, atol=1e-5)
    gradchecks(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, is_causal=True), arr(1, 2, 2), arr(1, 2, 2),
               arr(1, 2, 2))


def test_top_level_names():
    x = arr(3, 4)
    e, t = ember.tensor(x), torch.tensor(x)
    assert_same(ember.layer_norm(e, (4,)), torch.layer_norm(t, (4,)), rtol=1e-4, atol=1e-5)
    assert_same(ember.group_norm(e.reshape(3, 4, 1), 2), torch.group_norm(t.reshape(3, 4, 1), 2), rtol=1e-4, atol=1e-5)
    assert_same(ember.batch_norm(e, None, None, None, None, True, 0.1, 1e-5, False),
                torch.batch_norm(t, None, None, None, None, True, 0.1, 1e-5, False), rtol=1e-4, atol=1e-5)
    assert_same(ember.threshold(e, 0.1, 5.0), torch.threshold(t, 0.1, 5.0))
    assert_same(ember.selu(e), torch.selu(t))
    assert_same(ember.celu(e, 0.5), torch.celu(t, 0.5))
    assert_same(ember.hardshrink(e), torch.hardshrink(t))
    assert_same(e.hardshrink(0.2), t.hardshrink(0.2))
    assert_same(ember.prelu(e, ember.tensor([0.3])), torch.prelu(t, torch.tensor([0.3])))
    assert_same(ember.cosine_similarity(e, e * 2 + 1), torch.cosine_similarity(t, t * 2 + 1))
    assert_same(ember.pairwise_distance(e, e + 1), torch.pairwise_distance(t, t + 1))
    assert_same(ember.pdist(e), torch.pdist(t))
    assert_same(ember.dropout(e, 0.5, False), torch.dropout(t, 0.5, False))
    assert_same(ember.kl_div(e, e.exp()), torch.kl_div(t, t.exp()), rtol=1e-5, atol=1e-5)
    assert_same(ember.margin_ranking_loss(e, e * 2, ember.ones(3, 4)),
                torch.margin_ranking_loss(t, t * 2, torch.ones(3, 4)))
    e2 = ember.tensor(x)
    ember.selu_(e2)
    assert_same(e2, torch.selu(t))
