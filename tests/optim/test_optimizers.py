"""Every optimizer, over a grid of options, against torch: trajectories and state_dicts."""
import copy

import numpy as np
import pytest

import ember
import ember.optim as eoptim
from tests.helpers import needs_torch, torch
from tests.optim._common import assert_state_equal, t2e_state

pytestmark = needs_torch

SHAPES = [(3, 4), (5,), (2, 2)]
STEPS = 20

CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, maximize=True)),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.05, amsgrad=True, weight_decay=0.1)),
    ("Adam", dict(lr=0.05, betas=(0.5, 0.9), maximize=True, foreach=False)),
    ("Adam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.05)),
    ("AdamW", dict(lr=0.05, weight_decay=0.5, amsgrad=True, maximize=True)),
    ("Adamax", dict(lr=0.05)),
    ("Adamax", dict(lr=0.05, weight_decay=0.1, maximize=True)),
    ("NAdam", dict(lr=0.05)),
    ("NAdam", dict(lr=0.05, weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict(lr=0.05)),
    ("RAdam", dict(lr=0.05, weight_decay=0.1, betas=(0.8, 0.9))),
    ("RAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, initial_accumulator_value=0.5, weight_decay=0.1, eps=1e-6)),
    ("Adagrad", dict(lr=0.1, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.5, eps=1e-4, weight_decay=0.1, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, centered=True, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True, maximize=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.5)),
    ("Rprop", dict(lr=0.01)),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2), maximize=True)),
    ("ASGD", dict(lr=0.05)),
    ("ASGD", dict(lr=0.05, lambd=0.01, alpha=0.5, t0=5, weight_decay=0.1)),
    ("ASGD", dict(lr=0.05, t0=0, maximize=True)),
    ("SparseAdam", dict(lr=0.05)),
    ("SparseAdam", dict(lr=0.05, betas=(0.5, 0.8), maximize=True)),
]


def _ids(case):
    name, kw = case
    return name + "-" + ",".join(f"{k}={v}" for k, v in kw.items())


def _grad_fn(name):
    """Deterministic gradients: a noisy quadratic pull toward fixed targets, read from current values.

    Some entries are exactly zero (SparseAdam's sparsity); parameter 2 gets no gradient every 4th step."""
    rng = np.random.default_rng(7)
    targets = [rng.normal(size=s) for s in SHAPES]
    noise = [[rng.normal(size=s) for s in SHAPES] for _ in range(STEPS)]
    masks = [[rng.random(size=s) < 0.3 for s in SHAPES] for _ in range(STEPS)]

    def grads(step, values):
        out = []
        for i, v in enumerate(values):
            if i == 2 and step % 4 == 3:
                out.append(None)
                continue
            g = 2 * (v - targets[i]) + noise[step][i]
            if name == "SparseAdam":
                g[masks[step][i]] = 0.0
            out.append(g)
        return out
    return grads


def _initial():
    rng = np.random.default_rng(3)
    return [rng.normal(size=s) for s in SHAPES]


def _set_torch_grads(params, grads, sparse):
    for p, g in zip(params, grads):
        p.grad = None if g is None else (torch.from_numpy(g).to_sparse() if sparse else torch.from_numpy(g))


def _set_ember_grads(params, grads):
    for p, g in zip(params, grads):
        p.grad = None if g is None else ember.from_numpy(g.copy())


def _groups(params, name, kw):
    """Two param groups, the second with its own lr."""
    return [{"params": params[:2]}, {"params": params[2:], "lr": kw.get("lr", 0.01) * 0.5}]


def _run_torch(name, kw, start=None, state=None):
    """torch's trajectory from the initial values, or resumed at `start` from (params, state_dict)."""
    params = [torch.tensor(a, requires_grad=True) for a in (_initial() if start is None else start[1])]
    opt = getattr(torch.optim, name)(_groups(params, name, kw), **kw)
    if state is not None:
        opt.load_state_dict(state)
    grads = _grad_fn(name)
    traj, mid = [], None
    for step in range(0 if start is None else start[0], STEPS):
        _set_torch_grads(params, grads(step, [p.detach().numpy() for p in params]), name == "SparseAdam")
        opt.step()
        traj.append([p.detach().numpy().copy() for p in params])
        if step == STEPS // 2 - 1:
            mid = copy.deepcopy(opt.state_dict())
    return traj, mid, opt.state_dict()


def _ember_params(arrays):
    return [ember.tensor(a, requires_grad=True) for a in arrays]


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_trajectory_and_state_dict(case):
    name, kw = case
    t_traj, t_mid, t_final = _run_torch(name, kw)
    half = STEPS // 2
    t_resumed, _, t_resumed_final = _run_torch(name, kw, (half, t_traj[half - 1]), copy.deepcopy(t_mid))

    params = _ember_params(_initial())
    opt = getattr(eoptim, name)(_groups(params, name, kw), **kw)
    grads = _grad_fn(name)
    for step in range(STEPS):
        _set_ember_grads(params, grads(step, [p.detach().numpy() for p in params]))
        opt.step()
        for p, expected in zip(params, t_traj[step]):
            np.testing.assert_allclose(p.detach().numpy(), expected, rtol=1e-9, atol=1e-11, err_msg=f"step {step}")
    assert_state_equal(opt.state_dict(), t_final)

    # resume from torch's mid-way state_dict: the rest of the trajectory is torch's
    # resume from torch's mid-way state_dict; compare with torch resumed the same way
    params = _ember_params(t_traj[half - 1])
    opt = getattr(eoptim, name)(_groups(params, name, kw), **kw)
    opt.load_state_dict(t2e_state(t_mid))
    for step in range(half, STEPS):
        _set_ember_grads(params, grads(step, [p.detach().numpy() for p in params]))
        opt.step()
    for p, expected in zip(params, t_resumed[-1]):
        np.testing.assert_allclose(p.detach().numpy(), expected, rtol=1e-9, atol=1e-11)
    assert_state_equal(opt.state_dict(), t_resumed_final)


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Adagrad"])
def test_complex_params(name):
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4,)) + 1j * rng.normal(size=(4,))
    kw = dict(lr=0.05, momentum=0.9) if name in ("SGD", "RMSprop") else dict(lr=0.05)
    tp, ep = torch.tensor(a, requires_grad=True), ember.tensor(a, requires_grad=True)
    topt, eopt = getattr(torch.optim, name)([tp], **kw), getattr(eoptim, name)([ep], **kw)
    for _ in range(5):
        g = rng.normal(size=(4,)) + 1j * rng.normal(size=(4,))
        tp.grad, ep.grad = torch.from_numpy(g.copy()), ember.from_numpy(g.copy())
        topt.step()
        eopt.step()
    np.testing.assert_allclose(ep.detach().numpy(), tp.detach().numpy(), rtol=1e-10)


def test_float32_adam_step_dtype():
    p = ember.zeros(3, requires_grad=True)
    opt = eoptim.Adam([p], lr=0.1)
    p.grad = ember.ones(3)
    opt.step()
    st = opt.state[p]
    assert st["step"].dtype is ember.float32 and st["step"].shape == ()
    assert st["exp_avg"].dtype is ember.float32
    np.testing.assert_allclose(p.detach().numpy(), [-0.1] * 3, rtol=1e-6)
    assert p._version > 0


@pytest.mark.parametrize("kw", [dict(lr=0.01), dict(lr=0.03, momentum=0.9), dict(lr=0.02, weight_decay=0.1)],
                         ids=["plain", "momentum", "weight_decay"])
@pytest.mark.parametrize("layout", ["C", "F"])
def test_sgd_float32_bit_exact(kw, layout):
    """torch updates with one rounding per element (add_(g, alpha=-lr)); so does ember (BLAS axpy): the
    float32 parameters stay bit-identical over many steps, for large (threaded BLAS) and small tensors,
    and for gradients in either memory order."""
    rng = np.random.default_rng(0)
    shapes = [(300, 700), (7,)]
    init = [rng.standard_normal(s, dtype=np.float32) for s in shapes]
    tp = [torch.tensor(a, requires_grad=True) for a in init]
    ep = [ember.tensor(a, requires_grad=True) for a in init]
    topt, eopt = torch.optim.SGD(tp, **kw), eoptim.SGD(ep, **kw)
    for _ in range(5):
        for t, e, s in zip(tp, ep, shapes):
            g = rng.standard_normal(s, dtype=np.float32)
            g = g if layout == "C" else np.asfortranarray(g)
            t.grad, e.grad = torch.from_numpy(g.copy(order="K")), ember.from_numpy(g.copy(order="K"))
        topt.step()
        eopt.step()
    for t, e in zip(tp, ep):
        np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy())


def test_sgd_without_blas_matches_closely(monkeypatch):
    """Where no BLAS axpy is found, the update falls back to two NumPy passes (within an ulp of torch)."""
    import ember._blas as blas
    monkeypatch.setattr(blas, "axpy_kernel", lambda dtype: None)
    a = np.random.default_rng(1).standard_normal(1000, dtype=np.float32)
    tp, ep = torch.tensor(a, requires_grad=True), ember.tensor(a, requires_grad=True)
    tp.grad, ep.grad = torch.ones(1000), ember.ones(1000)
    torch.optim.SGD([tp], lr=0.1).step()
    eoptim.SGD([ep], lr=0.1).step()
    np.testing.assert_allclose(ep.detach().numpy(), tp.detach().numpy(), rtol=1e-6)
