"""Optimizer base behaviour: errors, repr, zero_grad, hooks, LBFGS vs torch."""
import numpy as np
import pytest

import ember
import ember.optim as eoptim
from tests.helpers import needs_torch, torch

pytestmark = needs_torch


def _pair(value=(1.0, 2.0)):
    return ember.tensor(list(value), dtype=ember.float64, requires_grad=True), \
        torch.tensor(list(value), dtype=torch.float64, requires_grad=True)


def _same_error(fn_e, fn_t, exc):
    with pytest.raises(exc) as te:
        fn_t()
    with pytest.raises(exc) as ee:
        fn_e()
    assert str(ee.value) == str(te.value)


def test_errors_match_torch():
    e, t = _pair()
    _same_error(lambda: eoptim.SGD([], lr=0.1), lambda: torch.optim.SGD([], lr=0.1), ValueError)
    _same_error(lambda: eoptim.SGD([e], lr=-1), lambda: torch.optim.SGD([t], lr=-1), ValueError)
    _same_error(lambda: eoptim.Adam([e], lr=-1), lambda: torch.optim.Adam([t], lr=-1), ValueError)
    _same_error(lambda: eoptim.Adam([e], betas=(1.0, 0.9)), lambda: torch.optim.Adam([t], betas=(1.0, 0.9)),
                ValueError)
    _same_error(lambda: eoptim.SGD(e, lr=0.1), lambda: torch.optim.SGD(t, lr=0.1), TypeError)
    _same_error(lambda: eoptim.SGD([e * 2], lr=0.1), lambda: torch.optim.SGD([t * 2], lr=0.1), ValueError)
    _same_error(lambda: eoptim.SGD([e], lr=0.1, nesterov=True), lambda: torch.optim.SGD([t], lr=0.1, nesterov=True),
                ValueError)
    _same_error(lambda: eoptim.SGD([{"params": [e]}, {"params": [e]}], lr=0.1),
                lambda: torch.optim.SGD([{"params": [t]}, {"params": [t]}], lr=0.1), ValueError)
    _same_error(lambda: eoptim.Rprop([e], etas=(1.5, 2)), lambda: torch.optim.Rprop([t], etas=(1.5, 2)), ValueError)
    _same_error(lambda: eoptim.SGD([1.0], lr=0.1), lambda: torch.optim.SGD([1.0], lr=0.1), TypeError)
    e2, t2 = _pair()
    _same_error(lambda: eoptim.LBFGS([{"params": [e]}, {"params": [e2]}]),
                lambda: torch.optim.LBFGS([{"params": [t]}, {"params": [t2]}]), ValueError)


def test_repr_and_defaults_match_torch():
    e, t = _pair()
    for name in ["SGD", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "Adagrad", "Adadelta", "RMSprop", "Rprop",
                 "ASGD", "LBFGS", "SparseAdam"]:
        extra = [] if name == "LBFGS" else [{"params": [ember.zeros(2, requires_grad=True)], "lr": 0.5}]
        eo = getattr(eoptim, name)([{"params": [e]}] + extra)
        extra = [] if name == "LBFGS" else [{"params": [torch.zeros(2, requires_grad=True)], "lr": 0.5}]
        to = getattr(torch.optim, name)([{"params": [t]}] + extra)
        assert repr(eo) == repr(to)
        assert eo.defaults == to.defaults


def test_zero_grad_and_skipping():
    e, _ = _pair()
    other = ember.tensor([5.0], requires_grad=True)
    opt = eoptim.SGD([e, other], lr=0.5)
    e.grad = ember.tensor([1.0, 1.0], dtype=ember.float64)
    opt.step()
    np.testing.assert_allclose(e.detach().numpy(), [0.5, 1.5])
    assert other.item() == 5.0 and len(opt.state) == 0
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(e.grad.numpy(), [0.0, 0.0])
    opt.zero_grad()
    assert e.grad is None


def test_step_hooks_and_closure():
    e, _ = _pair()
    opt = eoptim.Adam([e])
    calls = []
    h1 = opt.register_step_pre_hook(lambda o, a, k: calls.append("pre"))
    opt.register_step_post_hook(lambda o, a, k: calls.append("post"))

    def closure():
        assert ember.is_grad_enabled()
        e.grad = ember.ones(2, dtype=ember.float64)
        return 3.0

    assert opt.step(closure) == 3.0
    h1.remove()
    opt.step()
    assert calls == ["pre", "post", "post"]
    assert ember.is_grad_enabled()


def _rosenbrock(x):
    f = (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
    g = np.array([-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2), 200 * (x[1] - x[0] ** 2)])
    return f, g


@pytest.mark.parametrize("kw", [dict(), dict(line_search_fn="strong_wolfe"),
                                dict(lr=0.5, max_iter=7, history_size=3),
                                dict(line_search_fn="strong_wolfe", history_size=4, max_eval=30)])
def test_lbfgs_rosenbrock(kw):
    e, t = _pair((-1.5, 2.0))
    eo, to = eoptim.LBFGS([e], **kw), torch.optim.LBFGS([t], **kw)

    def closure_for(p, wrap):
        def closure():
            f, g = _rosenbrock(p.detach().numpy().copy())
            p.grad = wrap(g)
            return wrap(np.array(f))
        return closure

    # Rosenbrock is ill-conditioned: last-bit differences (dot products summed in another order) grow
    # over many iterations, so compare two outer steps (up to 40 iterations) at a moderate tolerance
    for _ in range(2):
        le = eo.step(closure_for(e, ember.from_numpy))
        lt = to.step(closure_for(t, torch.from_numpy))
        assert float(le) == pytest.approx(float(lt), rel=1e-9)
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-7, atol=1e-10)
    se, st = eo.state[e], to.state[t]
    assert (se["func_evals"], se["n_iter"]) == (st["func_evals"], st["n_iter"])
    np.testing.assert_allclose(se["d"].numpy(), st["d"].numpy(), rtol=1e-6, atol=1e-10)
