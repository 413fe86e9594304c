"""`out=` on ember's functions, against torch: the result is written into `out` (resized, with
torch's warning when it had elements), `out` itself is returned, tuples for multi-result ops."""
import warnings

import numpy as np
import pytest

import ember
from tests.helpers import needs_torch, torch

pytestmark = needs_torch

A = np.arange(12, dtype=np.float32).reshape(3, 4) % 5 - 1.5
IDX = np.array([2, 0], dtype=np.int64)

CASES = [
    ("sum", lambda m, a: m.sum(a, 1), "f"), ("mean", lambda m, a: m.mean(a, 0), "f"),
    ("prod", lambda m, a: m.prod(a, 1), "f"), ("logsumexp", lambda m, a: m.logsumexp(a, 1), "f"),
    ("norm", lambda m, a: m.norm(a), "f"), ("std", lambda m, a: m.std(a, 1), "f"), ("var", lambda m, a: m.var(a, 0), "f"),
    ("amax", lambda m, a: m.amax(a, 1), "f"), ("argmax", lambda m, a: m.argmax(a, 1), "i"),
    ("argmin", lambda m, a: m.argmin(a, 0), "i"), ("max_dim", lambda m, a: m.max(a, 1), "fi"),
    ("min_dim", lambda m, a: m.min(a, 0), "fi"), ("median_dim", lambda m, a: m.median(a, 1), "fi"),
    ("mode", lambda m, a: m.mode(a, 1), "fi"), ("cumsum", lambda m, a: m.cumsum(a, 1), "f"),
    ("cumprod", lambda m, a: m.cumprod(a, 0), "f"), ("cummax", lambda m, a: m.cummax(a, 1), "fi"),
    ("matmul", lambda m, a: m.matmul(a, a.t()), "f"), ("mm", lambda m, a: m.mm(a.t(), a), "f"),
    ("bmm", lambda m, a: m.bmm(a[None], a.t()[None]), "f"), ("addmm", lambda m, a: m.addmm(a[:, :3], a, a.t()[:, :3]), "f"),
    ("mv", lambda m, a: m.mv(a, a[0]), "f"), ("dot", lambda m, a: m.dot(a[0], a[1]), "f"),
    ("outer", lambda m, a: m.outer(a[0], a[1]), "f"), ("kron", lambda m, a: m.kron(a[:2, :2], a[:2, :2]), "f"),
    ("index_select", lambda m, a: m.index_select(a, 0, m.from_numpy(IDX.copy())), "f"),
    ("gather", lambda m, a: m.gather(a, 1, m.from_numpy(np.array([[0], [3], [1]]))), "f"),
    ("masked_select", lambda m, a: m.masked_select(a, a > 0), "f"), ("tril", lambda m, a: m.tril(a), "f"),
    ("triu", lambda m, a: m.triu(a, 1), "f"), ("diag", lambda m, a: m.diag(a), "f"),
    ("sort", lambda m, a: m.sort(a, 1, descending=True), "fi"), ("topk", lambda m, a: m.topk(a, 2), "fi"),
    ("kthvalue", lambda m, a: m.kthvalue(a, 2, 1), "fi"), ("msort", lambda m, a: m.msort(a), "f"),
    ("all", lambda m, a: m.all(a > -2, 1), "b"), ("any", lambda m, a: m.any(a > 2, 0), "b"),
    ("sum into int64", lambda m, a: m.sum(a, 1), "i"), ("cumsum into int64", lambda m, a: m.cumsum(a, 1), "i"),
    ("prod into float64", lambda m, a: m.prod(a, 1), "d"),
]
_DT = {"f": "float32", "i": "int64", "b": "bool", "d": "float64"}


def _outs(m, kinds, empty):
    make = (lambda d: m.empty(0, dtype=getattr(m, d))) if empty else (lambda d: m.zeros(1, dtype=getattr(m, d)))
    outs = tuple(make(_DT[k]) for k in kinds)
    return outs if len(outs) > 1 else outs[0]


@pytest.mark.parametrize("empty", [True, False], ids=["empty-out", "resized-out"])
@pytest.mark.parametrize("name,fn,kinds", CASES, ids=[c[0] for c in CASES])
def test_out_matches_torch(name, fn, kinds, empty):
    got = []
    for m in (torch, ember):
        a = m.from_numpy(A.copy())
        out = _outs(m, kinds, empty)
        ref = fn(m, a)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            r = fn_with_out(fn, m, a, out)
        resized = [str(w.message).split(" (Triggered")[0] for w in caught if "resized" in str(w.message)]
        if isinstance(out, tuple):
            assert all(x is o for x, o in zip(r, out))
            got.append(([o.tolist() for o in out], [x.tolist() for x in ref], len(resized) > 0))
        else:
            assert r is out
            got.append(([out.tolist()], [ref.tolist()], len(resized) > 0))
    (t_out, t_ref, t_warned), (e_out, e_ref, e_warned) = got
    assert t_warned == e_warned
    for t, e in zip(t_out + t_ref, e_out + e_ref):
        np.testing.assert_allclose(np.array(e, dtype=float), np.array(t, dtype=float), rtol=1e-6, atol=1e-6)


def fn_with_out(fn, m, a, out):
    """Call the same op with out= (the case lambdas build the call; add out to it)."""
    import functools
    calls = []

    class Recorder:
        def __getattr__(self, n):
            f = getattr(m, n)
            if n in ("from_numpy", "empty", "zeros") or calls:
                return f
            calls.append(n)
            return functools.partial(f, out=out)
    return fn(Recorder(), a)


@pytest.mark.parametrize("call", [lambda m, a: m.sum(a.requires_grad_(), 1, out=m.empty(0)),
                                  lambda m, a: m.cummax(a, 1, out=m.empty(0)),
                                  lambda m, a: m.mean(a, 1, out=m.empty(0, dtype=m.int64))],
                         ids=["requires-grad", "tuple-expected", "cannot-cast"])
def test_out_errors_like_torch(call):
    errors = []
    for m in (torch, ember):
        with pytest.raises((RuntimeError, TypeError)) as e:
            call(m, m.from_numpy(A.copy()))
        errors.append((e.type, str(e.value)))
    assert errors[0] == errors[1]
