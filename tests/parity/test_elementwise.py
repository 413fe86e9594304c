"""Elementwise ops against torch: one table drives forward parity (dtypes, broadcasting, 0-d, empty,
non-contiguous, Python scalars), gradient parity, gradcheck and gradgradcheck."""
import math

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck
from tests.helpers import needs_torch, to_torch, to_ember, assert_same, torch

pytestmark = needs_torch


# ---- inputs ----------------------------------------------------------------------------------
def _away_from_int(rng, shape):
    return rng.integers(-3, 3, shape) + rng.uniform(0.1, 0.4, shape) * rng.choice([1, 2.3], shape)


DOMAINS = {   # float64 samples; the int sampler of the same domain is INT_DOMAINS
    "real": lambda r, s: r.uniform(-2, 2, s),
    "pos": lambda r, s: r.uniform(0.5, 3, s),
    "unit": lambda r, s: r.uniform(-0.9, 0.9, s),
    "gt1": lambda r, s: r.uniform(1.2, 3, s),
    "prob": lambda r, s: r.uniform(0.1, 0.9, s),
    "nonzero": lambda r, s: r.choice([-1, 1], s) * r.uniform(0.3, 2, s),
    "nonint": _away_from_int,
}
INT_DOMAINS = {"pos": (1, 5), "gt1": (2, 5), "prob": (0, 2), "nonzero": (1, 4)}


def sample(domain, shape, dtype, rng):
    if dtype == "bool":
        return ember.from_numpy(np.asarray(rng.integers(0, 2, shape).astype(bool)))
    if dtype in ("int64", "int32"):
        lo, hi = INT_DOMAINS.get(domain, (-3, 4))
        a = rng.integers(lo, hi, shape)
        if domain == "nonzero":
            a = a * rng.choice([-1, 1], shape)
        return ember.from_numpy(np.asarray(a.astype(dtype)))
    return ember.from_numpy(np.asarray(DOMAINS[domain](rng, shape).astype(dtype)))


# ---- the table -------------------------------------------------------------------------------
class Case:
    def __init__(self, name, fn, domains, grad=True, dtypes=("float32", "float64", "int64", "bool"),
                 scalars=(), rtol=1e-5, atol=1e-6):
        self.name, self.fn, self.domains, self.grad = name, fn, domains, grad
        self.dtypes, self.scalars, self.rtol, self.atol = dtypes, scalars, rtol, atol

    def __repr__(self):
        return self.name


def _u(name, domain="real", **kw):
    """Unary op called as L.<name>(x)."""
    return Case(name, lambda L, x: getattr(L, name)(x), (domain,), **kw)


def _b(name, d1="real", d2="real", **kw):
    """Binary op called as L.<name>(x, y); `scalars` are Python numbers tried as the second operand."""
    return Case(name, lambda L, x, y: getattr(L, name)(x, y), (d1, d2), **kw)


INTS = ("int64", "int32", "bool")
CASES = [
    _u("abs", "nonzero"), _u("absolute", "nonzero"), _u("neg"), _u("negative"), _u("positive"),
    _u("exp"), _u("exp2"), _u("expm1"), _u("log", "pos"), _u("log2", "pos"), _u("log10", "pos"),
    _u("log1p", "pos"), _u("sqrt", "pos"), _u("rsqrt", "pos"), _u("square"), _u("reciprocal", "nonzero"),
    _u("sin"), _u("cos"), _u("tan", "unit"), _u("asin", "unit"), _u("arcsin", "unit"), _u("acos", "unit"),
    _u("arccos", "unit"), _u("atan"), _u("arctan"), _u("sinh"), _u("cosh"), _u("tanh"), _u("asinh"),
    _u("arcsinh"), _u("acosh", "gt1"), _u("arccosh", "gt1"), _u("atanh", "unit"), _u("arctanh", "unit"),
    _u("sigmoid"), _u("logit", "prob"), _u("relu", "nonzero"), _u("erf"), _u("erfc"), _u("erfinv", "unit"),
    _u("lgamma", "pos"), _u("digamma", "pos"), _u("deg2rad"), _u("rad2deg"), _u("nan_to_num"),
    _u("floor", "nonint"), _u("ceil", "nonint"), _u("round", "nonint"), _u("trunc", "nonint"),
    _u("fix", "nonint"), _u("frac", "nonint"), _u("sign", "nonzero"), _u("sgn", "nonzero"),
    Case("logit_eps", lambda L, x: L.logit(x, eps=0.25), ("prob",)),
    Case("round_decimals", lambda L, x: L.round(x, decimals=1), ("nonint",), dtypes=("float64", "int64")),
    Case("round_neg_decimals", lambda L, x: L.round(x * 100, decimals=-1), ("nonint",), dtypes=("float64",)),
    Case("polygamma1", lambda L, x: L.polygamma(1, x), ("pos",)),
    Case("polygamma2", lambda L, x: L.polygamma(2, x), ("pos",), dtypes=("float64",)),
    Case("clamp", lambda L, x: L.clamp(x, -0.5, 0.5), ("real",)),
    Case("clamp_min_only", lambda L, x: L.clamp(x, min=0.5), ("real",)),
    Case("clamp_int_bounds", lambda L, x: L.clamp(x, -1, 1), ("real",)),
    Case("clip", lambda L, x: L.clip(x, max=0.3), ("real",)),
    Case("clamp_min", lambda L, x: L.clamp_min(x, 0.25), ("real",)),
    Case("clamp_max", lambda L, x: L.clamp_max(x, 0.25), ("real",)),
    Case("lerp_scalar", lambda L, x, y: L.lerp(x, y, 0.3), ("real", "real")),
    Case("lerp_scalar_big", lambda L, x, y: L.lerp(x, y, 0.8), ("real", "real")),
    Case("square_int_pow", lambda L, x: x ** 3, ("real",)),
    Case("pow_scalar_float", lambda L, x: L.pow(x, 2.5), ("pos",)),
    Case("pow_scalar_base", lambda L, x: L.pow(2, x), ("real",), dtypes=("float32", "float64", "int64")),
    Case("pow_zero_exp", lambda L, x: x ** 0, ("real",)),
    _b("add", scalars=(2, 2.5, True)), _b("sub", scalars=(2, 2.5)), _b("mul", scalars=(2, 2.5, True)),
    _b("div", "real", "nonzero", scalars=(2, 2.5)), _b("true_divide", "real", "nonzero"),
    _b("floor_divide", "real", "nonzero", grad=False, scalars=(2, -2.5)),
    _b("remainder", "real", "nonzero", scalars=(2, -2.5)), _b("fmod", "real", "nonzero", scalars=(2, -2.5)),
    _b("pow", "pos", "real", scalars=(2, 0.5, -1.5)), _b("atan2"), _b("arctan2"), _b("hypot"),
    _b("logaddexp"), _b("logaddexp2"), _b("copysign", "nonzero", "nonzero", scalars=(-1, 2.5)),
    _b("xlogy", "real", "pos", scalars=(2.5,)), _b("maximum"), _b("minimum"), _b("fmax"), _b("fmin"),
    Case("clamp_tensor", lambda L, x, lo, hi: L.clamp(x, lo, hi), ("real", "real", "real")),
    Case("clamp_tensor_min", lambda L, x, lo: L.clamp(x, min=lo), ("real", "real")),
    Case("clamp_min_tensor", lambda L, x, lo: L.clamp_min(x, lo), ("real", "real")),
    Case("clamp_max_tensor", lambda L, x, hi: L.clamp_max(x, hi), ("real", "real")),
    Case("lerp_tensor", lambda L, x, y, w: L.lerp(x, y, w), ("real", "real", "prob")),
    Case("addcmul", lambda L, x, y, z: L.addcmul(x, y, z, value=0.5), ("real", "real", "real")),
    Case("addcmul_default", lambda L, x, y, z: L.addcmul(x, y, z), ("real", "real", "real")),
    Case("addcdiv", lambda L, x, y, z: L.addcdiv(x, y, z, value=-2), ("real", "real", "nonzero")),
    Case("where", lambda L, x, y: L.where(x > 0, x, y), ("real", "real")),
    Case("where_scalar", lambda L, x: L.where(x > 0, x, 0.5), ("real",)),
    Case("where_method", lambda L, x, y: x.where(y > 0, y), ("real", "real")),
    _b("eq", grad=False, scalars=(1, 0.5)), _b("ne", grad=False, scalars=(1,)), _b("lt", grad=False, scalars=(1,)),
    _b("le", grad=False, scalars=(0.5,)), _b("gt", grad=False, scalars=(1,)), _b("ge", grad=False, scalars=(True,)),
    _b("logical_and", grad=False), _b("logical_or", grad=False), _b("logical_xor", grad=False),
    _u("logical_not", grad=False), _u("isnan", grad=False), _u("isinf", grad=False), _u("isfinite", grad=False),
    _u("isposinf", grad=False), _u("isneginf", grad=False), _u("isreal", grad=False), _u("signbit", grad=False),
    _b("bitwise_and", grad=False, dtypes=INTS + ("float32",), scalars=(3,)),
    _b("bitwise_or", grad=False, dtypes=INTS, scalars=(3,)),
    _b("bitwise_xor", grad=False, dtypes=INTS, scalars=(3, True)),
    _b("bitwise_left_shift", "real", "pos", grad=False, dtypes=("int64", "int32", "float64"), scalars=(2,)),
    _b("bitwise_right_shift", "real", "pos", grad=False, dtypes=("int64", "int32"), scalars=(1,)),
    _u("bitwise_not", grad=False, dtypes=INTS + ("float32",)),
    Case("isclose", lambda L, x, y: L.isclose(x, y, rtol=0.1, atol=0.2), ("real", "real"), grad=False),
]
GRAD = [c for c in CASES if c.grad]
IDS = [c.name for c in CASES]


def _call(case, lib, args):
    """Run case on lib's tensors; ('error', type) when it raises."""
    try:
        return case.fn(lib, *args)
    except Exception as e:  # noqa: BLE001 - error parity is compared below
        return ("error", type(e))


def _check(case, args):
    e_out = _call(case, ember, args)
    t_out = _call(case, torch, [to_torch(a) if isinstance(a, ember.Tensor) else a for a in args])
    if isinstance(t_out, tuple):
        assert isinstance(e_out, tuple), f"torch raised {t_out[1].__name__}, ember returned {e_out}"
        assert e_out[1] is t_out[1]
        return
    assert not isinstance(e_out, tuple), f"ember raised {e_out[1].__name__}"
    assert_same(e_out, t_out, rtol=case.rtol, atol=case.atol)


# ---- forward ---------------------------------------------------------------------------------
SHAPES = {1: [(3, 4), (), (0, 3)],
          2: [[(3, 4), (3, 4)], [(3, 4), (4,)], [(2, 1, 3), (1, 4, 1)], [(), (3,)], [(0, 3), (3,)]],
          3: [[(3, 4)] * 3, [(3, 4), (4,), (3, 1)], [(2, 1, 3), (1, 4, 1), ()]]}


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_forward(case):
    rng = np.random.default_rng(0)
    n = len(case.domains)
    for dt in case.dtypes:
        for shapes in SHAPES[n]:
            shapes = [shapes] if n == 1 else shapes
            _check(case, [sample(d, s, dt, rng) for d, s in zip(case.domains, shapes)])
    # mixed dtypes, non-contiguous (transposed) operands
    if n > 1:
        mixed = [sample(d, (3, 4), dt, rng) for d, dt in zip(case.domains, ("float32", "int64", "float64"))]
        _check(case, mixed)
        mixed = [sample(d, (3, 4), dt, rng) for d, dt in zip(case.domains, ("int32", "float64", "int64"))]
        _check(case, mixed)
    dt = case.dtypes[0]
    _check(case, [sample(d, (4, 3), dt, rng).t() for d in case.domains])


SCALAR_CASES = [c for c in CASES if c.scalars]


@pytest.mark.parametrize("case", SCALAR_CASES, ids=[c.name for c in SCALAR_CASES])
def test_python_scalar_operands(case):
    rng = np.random.default_rng(1)
    for dt in case.dtypes:
        x = sample(case.domains[0], (3, 4), dt, rng)
        for s in case.scalars:
            _check(case, [x, s])
            y = sample(case.domains[0], (3,), dt, rng)
            _check(case, [ember.tensor(s), y])   # 0-d tensor on the left
            if case.name not in ("logical_and", "maximum", "atan2"):
                e = _call(case, ember, [s, y])
                t = _call(case, torch, [s, to_torch(y)])
                if not isinstance(t, tuple) and not isinstance(e, tuple):
                    assert_same(e, t)


# ---- gradients -------------------------------------------------------------------------------
def _grad_inputs(case, shapes, rng):
    return tuple(sample(d, s, "float64", rng).requires_grad_() for d, s in zip(case.domains, shapes))


def _torch_grads(case, ins, g):
    tins = [to_torch(a) for a in ins]
    out = case.fn(torch, *tins)
    grads = torch.autograd.grad(out, tins, to_torch(g), allow_unused=True)
    return out, grads


@pytest.mark.parametrize("case", GRAD, ids=[c.name for c in GRAD])
def test_grad_parity(case):
    rng = np.random.default_rng(2)
    n = len(case.domains)
    for shapes in ([(3, 4)] * n, [(3, 4), (4,), (3, 1)][:n]):
        ins = _grad_inputs(case, shapes, rng)
        out = case.fn(ember, *ins)
        g = ember.from_numpy(rng.standard_normal(tuple(out.shape)))
        t_out, t_grads = _torch_grads(case, ins, g)
        if not t_out.requires_grad:      # positive() of ... is still differentiable; nothing else here
            continue
        e_grads = ember.autograd.grad(out, ins, g, allow_unused=True)
        if t_out.grad_fn is not None:
            assert out.grad_fn.name() == t_out.grad_fn.name() or case.name in NAME_DEVIATIONS
        for e, t in zip(e_grads, t_grads):
            if t is None or t._is_zerotensor():
                assert e is None or not e.detach().numpy().any()
            else:
                assert_same(e, t, rtol=1e-7, atol=1e-9)


NAME_DEVIATIONS = {"remainder", "fmod"}   # torch numbers the tensor-divisor overload Backward1


@pytest.mark.parametrize("case", GRAD, ids=[c.name for c in GRAD])
def test_gradcheck(case):
    rng = np.random.default_rng(3)
    ins = _grad_inputs(case, [(2, 3)] * len(case.domains), rng)
    fn = lambda *a: case.fn(ember, *a)  # noqa: E731
    assert gradcheck(fn, ins)
    assert _gradgradcheck(fn, ins)


def _gradgradcheck(fn, ins):
    """gradcheck of the first derivative (vector-Jacobian product with a fixed random cotangent).

    ember.autograd.gradgradcheck evaluates its first-gradient function under no_grad when taking finite
    differences, which drops the graph; this builds the first gradient with grad mode on."""
    out = fn(*ins)
    v = ember.from_numpy(np.random.default_rng(7).standard_normal(tuple(out.shape))).requires_grad_()

    def first(*args):
        with ember.enable_grad():
            a = args[:-1]
            gs = ember.autograd.grad(fn(*a), a, args[-1], create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)
    return gradcheck(first, tuple(ins) + (v,))


def test_nondifferentiable_points_match_torch():
    x = [-1.0, -0.5, 0.0, 0.5, 1.0, 2.0]
    y = [-1.0, 0.0, 0.0, 1.0, 1.0, -3.0]
    fns = [lambda L, a, b: L.abs(a), lambda L, a, b: L.clamp(a, -0.5, 1.0),
           lambda L, a, b: L.clamp(a, b, b + 0.5), lambda L, a, b: L.clamp(a, b, b - 0.5),
           lambda L, a, b: L.maximum(a, b), lambda L, a, b: L.minimum(a, b), lambda L, a, b: L.fmax(a, b),
           lambda L, a, b: L.relu(a), lambda L, a, b: L.sqrt(L.abs(a)) * 0 + a.sign(),
           lambda L, a, b: L.pow(a, b), lambda L, a, b: L.pow(L.abs(a), 0.0), lambda L, a, b: L.xlogy(a, b),
           lambda L, a, b: L.copysign(a, b), lambda L, a, b: L.nan_to_num(L.log(a)),
           lambda L, a, b: L.where(a > 0, a, b), lambda L, a, b: L.logit(a, eps=0.5) + L.logit(b)]
    for f in fns:
        ea = ember.tensor(x, dtype=ember.float64, requires_grad=True)
        eb = ember.tensor(y, dtype=ember.float64, requires_grad=True)
        ta, tb = to_torch(ea), to_torch(eb)
        tr = f(torch, ta, tb)
        er = f(ember, ea, eb)
        assert_same(er, tr)
        tg = torch.autograd.grad(tr.sum(), (ta, tb), allow_unused=True)
        eg = ember.autograd.grad(er.sum(), (ea, eb), allow_unused=True)
        for e, t in zip(eg, tg):
            if t is None or t._is_zerotensor():
                assert e is None or not e.detach().numpy().any()
            else:
                assert_same(e, t)


# ---- special functions, accurately -----------------------------------------------------------
@pytest.mark.parametrize("name,lo,hi", [("erf", -7, 7), ("erfc", -7, 27), ("erfinv", -1, 1),
                                        ("lgamma", -20, 40), ("digamma", -20, 40)])
def test_special_accuracy(name, lo, hi):
    rng = np.random.default_rng(4)
    a = np.concatenate([rng.uniform(lo, hi, 4000), np.linspace(lo, hi, 501)])
    if name == "erfinv":
        a = np.concatenate([a, 1 - 10.0 ** -rng.uniform(1, 15, 200), [1.0, -1.0, 0.0]])
    e = getattr(ember, name)(ember.from_numpy(a))
    t = getattr(torch, name)(torch.from_numpy(a))
    # relative accuracy (looser beside the poles of digamma), absolute near zeros and for subnormals
    assert_same(e, t, rtol=2e-13 if name == "digamma" else 2e-14,
                atol=1e-14 if name in ("lgamma", "digamma") else 1e-305)


def test_special_edge_values():
    a = [0.0, -0.0, -1.0, -2.5, math.inf, -math.inf, math.nan, 1.0, 2.0]
    for name in ("erf", "erfc", "erfinv", "lgamma", "digamma"):
        assert_same(getattr(ember, name)(ember.tensor(a, dtype=ember.float64)),
                    getattr(torch, name)(torch.tensor(a, dtype=torch.float64)))
    p = ember.polygamma(1, ember.tensor([-1.5, 0.5, 3.0, 0.0], dtype=ember.float64))
    assert_same(p, torch.polygamma(1, torch.tensor([-1.5, 0.5, 3.0, 0.0], dtype=torch.float64)))
    big = ember.tensor([1e30, -1e30, math.inf, -math.inf, math.nan, 1e-30], dtype=ember.float64)
    tb = to_torch(big)
    assert_same(ember.sigmoid(big), torch.sigmoid(tb))
    assert_same(ember.nan_to_num(big * big), torch.nan_to_num(tb * tb))
    assert_same(ember.nan_to_num(big, nan=1.0, posinf=2.0, neginf=-3.0),
                torch.nan_to_num(tb, nan=1.0, posinf=2.0, neginf=-3.0))
    assert_same(ember.sign(big), torch.sign(tb))
    assert_same(ember.sigmoid(ember.tensor([-80.0, -30.0, 30.0])), torch.sigmoid(torch.tensor([-80.0, -30.0, 30.0])),
                rtol=1e-6, atol=0)


def test_half_precision_inputs():
    for dt in (ember.float16, ember.bfloat16):
        x = ember.tensor([-1.5, 0.25, 2.0], dtype=dt)
        for name in ("exp", "sigmoid", "erf", "tanh", "sqrt", "abs", "floor"):
            assert_same(getattr(ember, name)(x), getattr(torch, name)(to_torch(x)), rtol=1e-2, atol=1e-2)


# ---- integer semantics -----------------------------------------------------------------------
def test_integer_floor_semantics_and_pow():
    a = ember.tensor([-7, -3, 0, 3, 7])
    b = ember.tensor([2, -2, 3, -4, 5])
    ta, tb = to_torch(a), to_torch(b)
    for e, t in [(a // b, ta // tb), (a % b, ta % tb), (ember.fmod(a, b), torch.fmod(ta, tb)),
                 (ember.div(a, b, rounding_mode="trunc"), torch.div(ta, tb, rounding_mode="trunc")),
                 (a / b, ta / tb), (-7.5 // b, -7.5 // tb), (7 % b, 7 % tb),
                 (a ** 2, ta ** 2), (2 ** ember.tensor([0, 3]), 2 ** torch.tensor([0, 3])),
                 (ember.pow(0, ember.tensor([0, 1])), torch.pow(0, torch.tensor([0, 1]))),
                 (ember.tensor([0.0]) ** 0, torch.tensor([0.0]) ** 0),
                 (ember.tensor([-1, 1, 2, 0]) ** ember.tensor([-3, -2, -1, 2]),
                  torch.tensor([-1, 1, 2, 0]) ** torch.tensor([-3, -2, -1, 2])),
                 (ember.tensor([True, False]) ** 2, torch.tensor([True, False]) ** 2),
                 (a << 70, ta << 70), (a >> 70, ta >> 70), (ember.tensor([True]) << 1, torch.tensor([True]) << 1)]:
        assert_same(e, t)


# ---- in-place forms --------------------------------------------------------------------------
INPLACE = [("exp_", ()), ("abs_", ()), ("sigmoid_", ()), ("tanh_", ()), ("clamp_", (-0.5, 0.5)),
           ("clip_", (None, 0.1)), ("clamp_min_", (0.0,)), ("floor_", ()), ("round_", ()), ("sign_", ()),
           ("fmod_", (0.7,)), ("remainder_", (0.7,)), ("lerp_", ("T", 0.25)), ("addcmul_", ("T", "T")),
           ("addcdiv_", ("T", "T")), ("atan2_", ("T",)), ("hypot_", ("T",)), ("copysign_", (-1.0,)),
           ("xlogy_", (2.0,)), ("logit_", ()), ("nan_to_num_", ()), ("square_", ()), ("erf_", ()),
           ("reciprocal_", ()), ("pow_", (2,)), ("neg_", ()), ("logical_not_", ()), ("frac_", ()),
           ("deg2rad_", ()), ("polygamma_", (1,)), ("sgn_", ()), ("trunc_", ()), ("fix_", ())]


@pytest.mark.parametrize("name,args", INPLACE, ids=[n for n, _ in INPLACE])
def test_inplace(name, args):
    rng = np.random.default_rng(5)
    x = ember.from_numpy(rng.uniform(0.1, 0.9, (3, 4)))
    other = ember.from_numpy(rng.uniform(0.5, 1.5, (3, 4)))
    e_args = [other if a == "T" else a for a in args]
    t_args = [to_torch(other) if a == "T" else a for a in args]
    tx = to_torch(x)
    view = x[1]
    r = getattr(x, name)(*e_args)
    getattr(tx, name)(*t_args)
    assert r is x
    assert_same(x, tx)
    assert_same(view, tx[1])
    leaf = ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        getattr(leaf, name)(*[ember.ones(2) if a == "T" else a for a in args])


def test_inplace_dtype_rules_and_autograd():
    i = ember.tensor([1, 2])
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        i.exp_()
    assert_same(i.floor_(), torch.tensor([1, 2]))
    f = ember.tensor([0.5, 1.5])
    f.logical_and_(ember.tensor([True, False]))
    assert_same(f, torch.tensor([0.5, 1.5]).logical_and_(torch.tensor([True, False])))
    a = ember.tensor([0.3, -0.2], dtype=ember.float64, requires_grad=True)
    b = a * 2
    b.sigmoid_()
    b.sum().backward()
    ta = to_torch(a, requires_grad=True)
    tb = ta * 2
    tb.sigmoid_()
    tb.sum().backward()
    assert_same(a.grad, ta.grad)


# ---- operators -------------------------------------------------------------------------------
def test_operators():
    x = ember.tensor([[1.5, -2.0, 3.0]])
    i = ember.tensor([5, -3, 12])
    b = ember.tensor([True, False, True])
    tx, ti, tb = to_torch(x), to_torch(i), to_torch(b)
    pairs = [(x % 2, tx % 2), (7 % x, 7 % tx), (x % i, tx % ti), (i % 4, ti % 4), (-8 % i, -8 % ti),
             (i & 6, ti & 6), (6 & i, 6 & ti), (i | b, ti | tb), (b ^ b, tb ^ tb), (b ^ True, tb ^ True),
             (~i, ~ti), (~b, ~tb), (i << 2, ti << 2), (1 << ember.tensor([0, 3]), 1 << torch.tensor([0, 3])),
             (i >> 1, ti >> 1), (abs(x), abs(tx)), (abs(i), abs(ti)), (-x, -tx), (+x, +tx),
             (x ** 2, tx ** 2), (2 ** x, 2 ** tx), (x // 0.7, tx // 0.7), (3 // x, 3 // tx), (x / i, tx / ti),
             (i / i, ti / ti), (1 - x, 1 - tx), (x == 1.5, tx == 1.5), (1.5 < x, 1.5 < tx)]
    for e, t in pairs:
        assert_same(e, t)
    for op in ("__iadd__", "__isub__", "__imul__", "__itruediv__", "__ifloordiv__", "__imod__", "__ipow__"):
        e, t = x.clone(), tx.clone()
        r = getattr(e, op)(1.5)
        getattr(t, op)(1.5)
        assert r is e
        assert_same(e, t)
    for op in ("__iand__", "__ior__", "__ixor__", "__ilshift__", "__irshift__"):
        e, t = i.clone(), ti.clone()
        getattr(e, op)(3)
        getattr(t, op)(3)
        assert_same(e, t)


# ---- API surface -----------------------------------------------------------------------------
def test_api_surface_matches_torch():
    from ember._ops import elementwise
    for name in elementwise.__all__:
        assert hasattr(ember, name), name
        assert hasattr(torch, name), name
        if hasattr(torch.Tensor, name):
            assert hasattr(ember.Tensor, name), name
        if hasattr(torch.Tensor, name + "_"):
            assert hasattr(ember.Tensor, name + "_"), name + "_"


def test_out_argument():
    x = ember.tensor([0.5, 1.0, 2.0])
    out = ember.empty(3, dtype=ember.float64)
    r = ember.exp(x, out=out)
    assert r is out
    assert_same(out, torch.exp(to_torch(x)).double())
    out = ember.empty(0)
    ember.atan2(x, x, out=out)
    assert_same(out, torch.atan2(to_torch(x), to_torch(x)))
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type Long"):
        ember.exp(x, out=ember.empty(3, dtype=ember.int64))
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        ember.exp(x.requires_grad_(), out=ember.empty(3))
    r = ember.clamp(ember.tensor([1, 5]), 2, 4, out=ember.empty(2, dtype=ember.int64))
    assert_same(r, torch.tensor([2, 4]))


# ---- comparisons and closeness -------------------------------------------------------------
def test_isclose_allclose_equal():
    a = ember.tensor([1.0, math.nan, math.inf, 1e-9, 2.0])
    b = ember.tensor([1.0 + 1e-6, math.nan, math.inf, 0.0, 2.1])
    ta, tb = to_torch(a), to_torch(b)
    assert_same(ember.isclose(a, b), torch.isclose(ta, tb))
    assert_same(ember.isclose(a, b, equal_nan=True), torch.isclose(ta, tb, equal_nan=True))
    assert_same(a.isclose(b, rtol=0.1), ta.isclose(tb, rtol=0.1))
    ia, ib = ember.tensor([1, 5, 10]), ember.tensor([1, 6, 12])
    assert_same(ember.isclose(ia, ib, atol=1), torch.isclose(to_torch(ia), to_torch(ib), atol=1))
    assert ember.allclose(a[:1], b[:1]) == torch.allclose(ta[:1], tb[:1])
    assert ember.allclose(a, b, equal_nan=True) == torch.allclose(ta, tb, equal_nan=True)
    assert ember.equal(ia, ia.float()) is True
    assert ember.equal(ia, ib) is False
    assert ember.equal(ia, ia[:2]) is False
    assert ember.equal(a, a) is False   # NaN != NaN


def test_where_single_argument():
    c = ember.tensor([[True, False], [False, True]])
    for e, t in zip(ember.where(c), torch.where(to_torch(c))):
        assert_same(e, t)


# ---- errors ----------------------------------------------------------------------------------
def _same_error(fn):
    with pytest.raises(Exception) as te:
        fn(torch)
    with pytest.raises(type(te.value), match=_re(str(te.value).split("\n")[0][:80])):
        fn(ember)


def _re(s):
    import re
    return re.escape(s)


ERRORS = {
    "exp_scalar": lambda L: L.exp(2.0),
    "clamp_no_bounds": lambda L: L.clamp(L.ones(2)),
    "clamp_method_no_bounds": lambda L: L.ones(2).clamp(),
    "bitwise_float": lambda L: L.bitwise_and(L.ones(2), L.ones(2)),
    "and_float": lambda L: L.ones(2) & 1,
    "invert_float": lambda L: ~L.ones(2),
    "shift_float": lambda L: L.ones(2) << 1,
    "abs_bool": lambda L: L.abs(L.tensor([True])),
    "neg_bool": lambda L: -L.tensor([True]),
    "pos_bool": lambda L: +L.tensor([True]),
    "sub_bool": lambda L: L.tensor([True]) - L.tensor([False]),
    "where_nonbool": lambda L: L.where(L.ones(2), L.ones(2), L.zeros(2)),
    "maximum_scalar": lambda L: L.maximum(L.ones(2), 1),
    "atan2_scalar": lambda L: L.atan2(L.ones(2), 1),
    "logical_xor_scalar": lambda L: L.logical_xor(L.ones(2), 0),
    "lerp_dtype": lambda L: L.lerp(L.ones(2), L.ones(2, dtype=L.float64), 0.5),
    "lerp_weight_dtype": lambda L: L.lerp(L.ones(2), L.ones(2), L.ones(2, dtype=L.int64)),
    "lerp_int": lambda L: L.lerp(L.ones(2, dtype=L.int64), L.ones(2, dtype=L.int64), 0.5),
    "hypot_int": lambda L: L.hypot(L.ones(2, dtype=L.int64), L.ones(2, dtype=L.int64)),
    "isclose_dtype": lambda L: L.isclose(L.ones(2), L.ones(2, dtype=L.float64)),
    "isclose_rtol": lambda L: L.isclose(L.ones(2), L.ones(2), rtol=-1),
    "int_neg_pow": lambda L: L.tensor([2]) ** -1,
    "frac_int": lambda L: L.frac(L.tensor([2])),
    "floor_bool": lambda L: L.floor(L.tensor([True])),
    "round_decimals_int": lambda L: L.round(L.tensor([2]), decimals=1),
    "addcdiv_int": lambda L: L.addcdiv(L.ones(2), L.ones(2, dtype=L.int64), L.ones(2, dtype=L.int64)),
    "div_mode": lambda L: L.div(L.ones(2), 2, rounding_mode="bad"),
    "exp_int_inplace": lambda L: L.tensor([1]).exp_(),
    "inplace_broadcast": lambda L: L.ones(3).add_(L.ones(2, 3)),
    "pow_bool": lambda L: L.pow(L.tensor([True]), L.tensor([True])),
}


@pytest.mark.parametrize("name", list(ERRORS), ids=list(ERRORS))
def test_errors(name):
    _same_error(ERRORS[name])


# ---- shapes that do not broadcast: torch's RuntimeError, not NumPy's ValueError ----------------
BROADCAST_ERRORS = {
    "add": lambda m, a, b: a + b, "mul_3d": lambda m, a, b: m.ones(2, 3) * m.ones(4, 1, 2),
    "gt": lambda m, a, b: a > b, "eq": lambda m, a, b: a == b, "lt_": lambda m, a, b: a.clone().lt_(b),
    "and": lambda m, a, b: a.long() & b.long(), "lshift": lambda m, a, b: a.long() << b.long(),
    "logical_and": lambda m, a, b: m.logical_and(a, b), "isclose": lambda m, a, b: m.isclose(a, b),
    "where": lambda m, a, b: m.where(a > 0, a, b), "where_3": lambda m, a, b: m.where(b > 0, a, a),
    "atan2": lambda m, a, b: m.atan2(a, b), "pow": lambda m, a, b: a ** b, "lerp": lambda m, a, b: m.lerp(a, b, 0.5),
    "maximum": lambda m, a, b: m.maximum(a, b), "addcmul": lambda m, a, b: m.addcmul(a, b, a),
    "mul_": lambda m, a, b: a.clone().mul_(b), "fmod": lambda m, a, b: m.fmod(a, b),
    "masked_fill": lambda m, a, b: a.masked_fill(b > 0, 0),
    "masked_scatter": lambda m, a, b: a.masked_scatter(b > 0, b),
    "grad_of_add": lambda m, a, b: (a.requires_grad_() + b).sum(),
}


@pytest.mark.parametrize("case", BROADCAST_ERRORS.values(), ids=BROADCAST_ERRORS.keys())
def test_broadcast_errors_match_torch(case):
    with pytest.raises(RuntimeError) as te:
        case(torch, torch.ones(2), torch.ones(3))
    with pytest.raises(RuntimeError) as ee:
        case(ember, ember.ones(2), ember.ones(3))
    assert str(ee.value) == str(te.value)
    assert ee.value.__cause__ is None and ee.value.__suppress_context__


# every elementwise function is also a Tensor method (torch's spelling, aliases included); the method
# forms are registered apart from the functions, so they are compared on their own
UNARY_METHODS = ["neg", "negative", "abs", "absolute", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p",
                 "sqrt", "rsqrt", "reciprocal", "sin", "cos", "tan", "asin", "arcsin", "acos", "arccos", "atan",
                 "arctan", "sinh", "cosh", "tanh", "asinh", "arcsinh", "acosh", "arccosh", "atanh", "arctanh",
                 "sigmoid", "relu", "erf", "erfc", "erfinv", "lgamma", "digamma", "deg2rad", "rad2deg", "floor",
                 "ceil", "trunc", "fix", "frac", "sign", "sgn"]
BINARY_METHODS = ["atan2", "arctan2", "hypot", "logaddexp", "logaddexp2", "copysign", "maximum", "minimum",
                  "fmax", "fmin"]


@pytest.mark.parametrize("name", UNARY_METHODS + BINARY_METHODS)
def test_tensor_method_forms(name):
    rng = np.random.default_rng(0)
    a = rng.uniform(0.2, 0.8, (2, 3))
    args = (rng.uniform(-2, 2, (2, 3)),) if name in BINARY_METHODS else ()
    e = getattr(ember.tensor(a, requires_grad=True), name)(*map(ember.tensor, args))
    t = getattr(torch.tensor(a, requires_grad=True), name)(*map(torch.tensor, args))
    assert_same(e, t)
    assert (e.grad_fn is None) == (t.grad_fn is None)
