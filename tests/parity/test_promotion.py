"""PyTorch's type promotion through ember's binary ops, against torch.result_type and torch's results."""
import itertools
import warnings

import numpy as np
import pytest

import ember
from tests.helpers import assert_same, dtype_name, needs_torch, to_torch, torch

pytestmark = needs_torch

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64",
          "complex64", "complex128"]
SCALARS = [True, 2, 2.5, 1 + 2j]
OPS = ["add", "sub", "mul", "div", "eq", "lt", "ge"]


def make(name, dim=True, values=(1, 2, 3)):
    """A 1-d (or 0-d) ember tensor of dtype `name` and its torch twin."""
    vals = [bool(v % 2) for v in values] if name == "bool" else list(values)
    e = ember.tensor(vals if dim else vals[0], dtype=getattr(ember, name))
    return e, to_torch(e)


def outcome(fn):
    """('ok', result) or (exception type name, message)."""
    try:
        return "ok", fn()
    except Exception as exc:  # noqa: BLE001  (errors are part of the compared behaviour)
        return type(exc).__name__, str(exc)


def compare(e_fn, t_fn):
    """Same outcome in ember and torch: equal results (dtype included) or the same error."""
    t = outcome(t_fn)
    if t[0] == "ok" and t[1].dtype == torch.complex32 or t[0] != "ok" and "ComplexHalf" in t[1]:
        return     # float16 with complex: complex32 in PyTorch, which ember (NumPy) lacks
    e = outcome(e_fn)
    if e[0] == t[0] and (e[0] != "ok" or str(e[1].dtype).split(".")[-1] == str(t[1].dtype).split(".")[-1]):
        if t[0] == "ok":
            assert_same(e[1], t[1])
        else:
            assert e[1] == t[1]
        return
    raise AssertionError(f"ember {e} vs torch {t}")


def check(op, ea, eb, ta, tb):
    compare(lambda: getattr(ember, op)(ea, eb), lambda: getattr(torch, op)(ta, tb))


@pytest.mark.parametrize("a,b", itertools.product(DTYPES, DTYPES))
def test_promote_types_and_result_type(a, b):
    ea, ta = make(a)
    eb, tb = make(b)
    ez, tz = make(b, dim=False)
    assert str(ember.promote_types(getattr(ember, a), getattr(ember, b))) == \
        str(torch.promote_types(getattr(torch, a), getattr(torch, b))).replace("torch.", "ember.")
    for x, y, tx, ty in ((ea, eb, ta, tb), (ea, ez, ta, tz), (ez, ea, tz, ta)):
        expected = str(torch.result_type(tx, ty)).replace("torch.", "ember.")
        if expected == "ember.complex32":
            continue   # ember has no complex32 (NumPy lacks it): float16 with a 0-d complex gives complex64
        assert str(ember.result_type(x, y)) == expected


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("a,b", itertools.product(DTYPES, DTYPES))
def test_tensor_tensor(op, a, b):
    ea, ta = make(a)
    eb, tb = make(b)
    check(op, ea, eb, ta, tb)


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("a,b", itertools.product(DTYPES, DTYPES))
def test_zero_dim_operand(op, a, b):
    ea, ta = make(a)
    ez, tz = make(b, dim=False, values=(3,))
    check(op, ea, ez, ta, tz)
    check(op, ez, ea, tz, ta)


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("a", DTYPES)
@pytest.mark.parametrize("s", SCALARS, ids=repr)
def test_python_scalar(op, a, s):
    ea, ta = make(a)
    check(op, ea, s, ta, s)


@pytest.mark.parametrize("a", DTYPES)
@pytest.mark.parametrize("s", SCALARS, ids=repr)
def test_operators_with_scalars(a, s):
    ea, ta = make(a)
    for f in (lambda x: x + s, lambda x: s * x, lambda x: x / s, lambda x: s - x, lambda x: x == s):
        compare(lambda: f(ea), lambda: f(ta))


@pytest.mark.parametrize("case", [
    ("int tensor + 2.5", lambda m: m.tensor([1, 2]) + 2.5),
    ("int / int", lambda m: m.tensor([1, 2]) / m.tensor([2, 4])),
    ("uint8 + int8", lambda m: m.tensor([1], dtype=m.uint8) + m.tensor([1], dtype=m.int8)),
    ("float16 + bfloat16", lambda m: m.tensor([1.], dtype=m.float16) + m.tensor([1.], dtype=m.bfloat16)),
    ("0-d float64 * float32", lambda m: m.tensor(2., dtype=m.float64) * m.tensor([1., 2.])),
    ("0-d int64 + int8", lambda m: m.tensor(1000) + m.tensor([1], dtype=m.int8)),
    ("0-d float + int", lambda m: m.tensor(1.5, dtype=m.float64) + m.tensor([1, 2])),
    ("0-d complex128 + float32", lambda m: m.tensor(1j, dtype=m.complex128) + m.tensor([1.])),
    ("float64 + complex scalar", lambda m: m.tensor([1.], dtype=m.float64) + 1j),
    ("bool + bool scalar", lambda m: m.tensor([True]) + True),
    ("uint8 * big int scalar", lambda m: m.tensor([2], dtype=m.uint8) * 300),
    ("int8 < float", lambda m: m.tensor([1], dtype=m.int8) < 1.5),
    ("bool - bool", lambda m: m.tensor([True]) - m.tensor([False])),
])
def test_named_cases(case):
    _, f = case
    compare(lambda: f(ember), lambda: f(torch))


@pytest.mark.parametrize("default", ["float64", "float16"])
def test_default_dtype_drives_scalar_promotion(default):
    old = ember.get_default_dtype()
    old_t = torch.get_default_dtype()
    try:
        ember.set_default_dtype(getattr(ember, default))
        torch.set_default_dtype(getattr(torch, default))
        assert str(ember.tensor([1.5]).dtype) == str(torch.tensor([1.5]).dtype).replace("torch.", "ember.")
        assert str(ember.result_type(ember.tensor([1, 2]), 2.5)) == \
            str(torch.result_type(torch.tensor([1, 2]), 2.5)).replace("torch.", "ember.")
        compare(lambda: ember.tensor([1, 2]) / ember.tensor([2, 2]), lambda: torch.tensor([1, 2]) / torch.tensor([2, 2]))
        e, t = outcome(lambda: ember.tensor([1, 2]) * 2.5), outcome(lambda: torch.tensor([1, 2]) * 2.5)
        assert_same(e[1], t[1])
    finally:
        ember.set_default_dtype(old)
        torch.set_default_dtype(old_t)


def test_shell_unsigned_types_do_not_promote():
    names = ["uint16", "uint32", "uint64"]
    for a, b in itertools.product(names, DTYPES + names):
        e = outcome(lambda: ember.promote_types(ember._dtypes._BY_NAME[a], ember._dtypes._BY_NAME[b]))
        t = outcome(lambda: torch.promote_types(getattr(torch, a), getattr(torch, b)))
        assert e[0] == t[0]
        assert (str(e[1]) if e[0] != "ok" else str(e[1]).split(".")[-1]) == \
            (str(t[1]) if t[0] != "ok" else str(t[1]).split(".")[-1])


def test_can_cast():
    for a, b in itertools.product(DTYPES, DTYPES):
        assert ember.can_cast(getattr(ember, a), getattr(ember, b)) == \
            torch.can_cast(getattr(torch, a), getattr(torch, b)), (a, b)


def test_numpy_scalar_operand():
    compare(lambda: ember.tensor([1, 2], dtype=ember.int8) + np.int64(3),
            lambda: torch.tensor([1, 2], dtype=torch.int8) + np.int64(3))


@pytest.mark.parametrize("src", ["float16", "bfloat16", "float32", "float64"])
@pytest.mark.parametrize("dst", ["uint8", "int8", "int16"])
def test_float_to_small_int_wraps_like_torch(src, dst):
    """Out-of-range floats cast to an 8/16-bit integer wrap modulo 2**bits (torch goes through a wide integer;
    CUDA's own conversion would saturate, so ember does the same on every device)."""
    vals = [1.5, -2.5, -300.7, 300.2, -0.5, 200.0, -129.0, 70000.0] if src != "float16" else \
        [1.5, -2.5, -300.7, 300.2, -0.5, 200.0, -129.0, 60000.0]
    e = ember.tensor(vals, dtype=getattr(ember, src))
    assert_same(e.to(getattr(ember, dst)), to_torch(e).to(getattr(torch, dst)))


def _bits(a):
    """An array's raw bits (bfloat16 through its 16-bit pattern; every NaN alike) and item size."""
    bits = a.view(f"u{a.itemsize}").copy()
    bits[np.isnan(a.astype(np.float64))] = 1
    return bits.tolist(), a.dtype.itemsize


# Python float/int scalars meeting float tensors: on the CPU float32/float64 ones reach NumPy as cached
# 0-d arrays (signed zeros, NaN, infinities, values at and past the dtype's range, integers past 2**24,
# more distinct values than the cache holds); float16/bfloat16 products and quotients compute in float32
# as torch does, while torch's sums round the scalar to 16 bits first
EDGE_SCALARS = [-0.0, 0.0, -0.0, float("nan"), float("inf"), -float("inf"), 3.4028234e38, 65504.0, 1e-45,
                0.1, 1 / 3, 2, -7, 16777217, 2 ** 40 + 1, True, False]
BINARY_WITH_SCALAR = {"mul": lambda a, s: a * s, "rmul": lambda a, s: s * a, "add": lambda a, s: a + s,
                      "radd": lambda a, s: s + a, "sub": lambda a, s: a - s, "rsub": lambda a, s: s - a,
                      "div": lambda a, s: a / s, "rdiv": lambda a, s: s / a}


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
@pytest.mark.parametrize("dim", [True, False], ids=["1d", "0d"])
def test_scalar_operands_bitwise(dtype, dim):
    values = np.random.default_rng(0).standard_normal(200).astype(np.float32) * 10
    values[:3] = (1.5, -0.0, 0.0)
    e = ember.tensor(values if dim else values[0], dtype=getattr(ember, dtype))
    t = to_torch(e)
    scalars = EDGE_SCALARS + [i / 7 for i in range(100)]        # past the cache's size
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for s in scalars * 2:                                   # the second pass meets cached entries
            for name, fn in BINARY_WITH_SCALAR.items():
                if name in ("sub", "rsub") and isinstance(s, bool):
                    continue
                got, want = fn(e, s), fn(t, s)
                assert dtype_name(got.dtype) == dtype_name(want.dtype), (name, s)
                want = want.float().numpy().astype(ember.bfloat16.np) if dtype == "bfloat16" else want.numpy()
                assert _bits(got.numpy()) == _bits(want), (name, s)


@pytest.mark.parametrize("other", [None, "a", [1, 2], object()], ids=["None", "str", "list", "object"])
def test_operators_with_foreign_operands_raise_torchs_type_error(other):
    for fn in (lambda a: other / a, lambda a: a / other, lambda a: other * a, lambda a: a * other,
               lambda a: a - other, lambda a: other - a, lambda a: other + a):
        assert outcome(lambda: fn(ember.tensor([2.0, 4.0]))) == outcome(lambda: fn(torch.tensor([2.0, 4.0])))


def test_scalar_over_tensor_is_a_reciprocal_product_as_in_torch():
    e, t = make("float32", values=(2.0, 1e-20, -3.0))
    e.requires_grad_(), t.requires_grad_()
    for s in (3, 3.4028234e38, -1e-3):
        ye, yt = s / e, s / t
        assert_same(ye, yt, rtol=0, atol=0)
        assert type(ye.grad_fn).__name__ == type(yt.grad_fn).__name__ == "MulBackward0"
    ie, it = make("int64", values=(2, 4, 8))
    assert_same(3 / ie, 3 / it)
