"""PyTorch's type promotion through ember's binary ops, against torch.result_type and torch's results."""
import itertools

import numpy as np
import pytest

import ember
from tests.helpers import assert_same, needs_torch, to_torch, torch

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
