"""Tensors on a second CUDA device ('cuda:1', fake CuPy with two devices): their arrays live on that
device and their work runs there, whatever CuPy's current device is, which is left as it was; and
ember.cuda's current-device API (device, set_device, current_device, device_of) behaves as torch's."""
import numpy as np
import pytest

import ember
from ember import _device

from . import fake_cupy
from .fake_cupy import FAKE


@pytest.fixture(autouse=True)
def two_devices():
    with fake_cupy.installed(device_count=2) as cp:
        yield cp


def on(t, index):
    """t's array lives on CuPy device `index` and t says so; CuPy's current device is still 0."""
    return t._data.device.id == index and t.device == ember.device("cuda", index) and FAKE.current == 0


# ---- the fake models devices ------------------------------------------------------------------------
def test_fake_allocates_on_the_current_device(two_devices):
    cp = two_devices
    a = cp.zeros(3)
    with cp.cuda.Device(1):
        b = cp.ones(3)
        assert cp.cuda.runtime.getDevice() == 1
    assert a.device.id == 0 and b.device.id == 1 and FAKE.current == 0
    assert b[1:].device.id == 1 and b.reshape(3, 1).device.id == 1     # views stay with their base


@pytest.mark.parametrize("kernel", [
    lambda cp, a, b: a + b,
    lambda cp, a, b: a * 2,
    lambda cp, a, b: -a,
    lambda cp, a, b: cp.exp(a),
    lambda cp, a, b: cp.concatenate([b, a]),
    lambda cp, a, b: a.sum(),
    lambda cp, a, b: a.astype(np.float32),
    lambda cp, a, b: cp.add.reduce(a),
    lambda cp, a, b: a[cp.zeros(1, dtype=np.int64)],
    lambda cp, a, b: b.__setitem__(0, a[0]),
], ids=["binary", "scalar", "unary", "ufunc", "function", "reduction", "astype", "ufunc.reduce",
        "gather", "setitem"])
def test_fake_kernels_refuse_arrays_of_another_device(two_devices, kernel):
    cp = two_devices
    with cp.cuda.Device(1):
        a = cp.arange(3.0)
    b = cp.arange(3.0)
    with pytest.raises(ValueError, match="Array device must be same as the current device"):
        kernel(cp, a, b)
    with cp.cuda.Device(1):                 # on its own device the same work is fine (b only as a value)
        kernel(cp, a, cp.asarray(b))


def test_fake_copies_land_on_the_current_device(two_devices):
    cp = two_devices
    with cp.cuda.Device(1):
        a = cp.arange(3.0)
    for copy in (cp.asarray(a), cp.array(a), cp.array(a, copy=False), cp.copy(a), a.copy()):
        assert copy.device.id == 0 and copy is not a
        np.testing.assert_array_equal(copy.get(), [0.0, 1.0, 2.0])
    assert a.get().tolist() == [0.0, 1.0, 2.0] and a[1].item() == 1.0     # host copies from any device
    with cp.cuda.Device(1):
        assert cp.asarray(a) is a


# ---- factories and transfers --------------------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda d: ember.zeros(2, 3, device=d),
    lambda d: ember.ones(2, device=d, dtype=ember.int32),
    lambda d: ember.empty(4, device=d),
    lambda d: ember.empty(1, 3, 2, 2, device=d, memory_format=ember.channels_last),
    lambda d: ember.full((2,), 7.0, device=d),
    lambda d: ember.arange(5, device=d),
    lambda d: ember.linspace(0, 1, 5, device=d),
    lambda d: ember.logspace(0, 2, 3, device=d),
    lambda d: ember.eye(3, device=d),
    lambda d: ember.scalar_tensor(2.5, device=d),
    lambda d: ember.tensor([[1.0, 2.0], [3.0, 4.0]], device=d),
    lambda d: ember.tensor(np.arange(4.0), device=d),
    lambda d: ember.tensor(ember.arange(3.0, device="cuda:0"), device=d),
    lambda d: ember.as_tensor([1, 2, 3], device=d),
    lambda d: ember.FloatTensor([1.0, 2.0], device=d),
    lambda d: ember.zeros_like(ember.ones(2, 2), device=d),
    lambda d: ember.full_like(ember.ones(2, device=d), 3.0),
    lambda d: ember.zeros(3, out=ember.ones(5, device=d)),
], ids=["zeros", "ones", "empty", "empty-channels-last", "full", "arange", "linspace", "logspace", "eye",
        "scalar_tensor", "tensor-list", "tensor-numpy", "tensor-other-cuda", "as_tensor", "FloatTensor",
        "zeros_like", "full_like", "out="])
@pytest.mark.filterwarnings("ignore:To copy construct from a tensor")
def test_factories_allocate_on_the_tensors_device(make, request):
    t = make("cuda:1")
    assert on(t, 1)
    ref = make("cpu")
    assert t.dtype is ref.dtype and t.shape == ref.shape
    if "empty" not in request.node.callspec.id:
        np.testing.assert_array_equal(t.cpu().numpy(), ref.numpy())
    assert on(make("cuda:0"), 0)


def test_to_moves_onto_the_second_device():
    x = ember.arange(4.0)
    for y in (x.to("cuda:1"), x.cuda(1), x.to(ember.device("cuda", 1)), x.to("cuda:0").to("cuda:1"),
              x.to("cuda:1", ember.float64)):
        assert on(y, 1)
        np.testing.assert_array_equal(y.cpu().numpy(), [0.0, 1.0, 2.0, 3.0])
    assert x.to("cuda:1", ember.float64).dtype is ember.float64
    z = x.to("cuda:1").to("cuda:0")
    assert on(z, 0) and z.cpu().tolist() == [0.0, 1.0, 2.0, 3.0]


def test_module_to_second_device():
    m = ember.nn.Linear(3, 2).to("cuda:1")
    assert all(on(p, 1) and p.is_leaf for p in m.parameters())
    out = m(ember.ones(4, 3, device="cuda:1"))
    assert on(out, 1)


# ---- ops and autograd ----------------------------------------------------------------------------------
def test_ops_run_on_the_tensors_device():
    a = ember.tensor([[1.0, -2.0], [3.0, 4.0]], device="cuda:1")
    b = ember.tensor([0.5, 2.0], device="cuda:1")
    mask = ember.tensor([[True, False], [False, True]], device="cuda:1")
    ops = {
        "add": lambda a, b, m: a + b, "mul-scalar": lambda a, b, m: a * 3, "exp": lambda a, b, m: a.exp(),
        "matmul": lambda a, b, m: a @ a, "sum": lambda a, b, m: a.sum(), "mean-dim": lambda a, b, m: a.mean(1),
        "gather": lambda a, b, m: a[ember.tensor([1, 0], device=a.device)], "slice": lambda a, b, m: a[:, 1],
        "where": lambda a, b, m: ember.where(m, a, b), "cat": lambda a, b, m: ember.cat([a, a]),
        "softmax": lambda a, b, m: a.softmax(-1), "cumsum": lambda a, b, m: a.cumsum(0),
        "to-float64": lambda a, b, m: a.double(), "clone": lambda a, b, m: a.t().contiguous(),
        "cpu-scalar": lambda a, b, m: a * ember.tensor(2.0),      # a 0-d CPU tensor joins cuda:1 tensors
        "linear": lambda a, b, m: ember.nn.functional.linear(a, a, b),
    }
    for name, op in ops.items():
        r = op(a, b, mask)
        assert on(r, 1), name
        np.testing.assert_allclose(r.cpu().numpy(), op(a.cpu(), b.cpu(), mask.cpu()).numpy(), err_msg=name)
    values, indices = a.max(1)                               # an op with several outputs
    assert on(values, 1) and on(indices, 1) and indices.cpu().tolist() == [0, 1]
    assert a[1, 1].item() == 4.0 and repr(a).endswith("device='cuda:1')")


def _loss(x, w):
    return (x * w).exp().mean() + (x ** 2).sum() + x.softmax(0)[0]


def test_backward_on_the_second_device():
    x = ember.tensor([1.0, 2.0, 3.0], device="cuda:1", requires_grad=True)
    w = ember.tensor([0.5, -1.0, 2.0], device="cuda:1", requires_grad=True)
    _loss(x, w).backward(ember.ones((), device="cuda:1"))
    assert on(x.grad, 1) and on(w.grad, 1)
    cx, cw = x.detach().cpu().requires_grad_(), w.detach().cpu().requires_grad_()
    _loss(cx, cw).backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), cx.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(w.grad.cpu().numpy(), cw.grad.numpy(), rtol=1e-6)
    gx, = ember.autograd.grad(_loss(x, w), [x], ember.ones((), device="cuda:1"), create_graph=True)
    assert on(gx, 1) and gx.requires_grad
    x.grad = w.grad = None
    gx.sum().backward(ember.ones((), device="cuda:1"))       # double backward, on the device
    assert on(x.grad, 1)


def test_module_backward_on_the_second_device():
    m = ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.ReLU(), ember.nn.Linear(4, 2)).to("cuda:1")
    m(ember.ones(5, 3, device="cuda:1")).sum().backward(ember.ones((), device="cuda:1"))
    assert all(on(p.grad, 1) for p in m.parameters())


def test_ops_on_device_zero_while_device_one_is_current():
    a = ember.arange(3.0, device="cuda:0", requires_grad=True)
    with ember.cuda.device(1):
        r = (a * 2).exp().sum()
        r.backward(ember.ones((), device="cuda:0"))
        assert r._data.device.id == 0 and a.grad._data.device.id == 0
        assert ember.cuda.current_device() == 1
    np.testing.assert_allclose(a.grad.cpu().numpy(), 2 * np.exp(2 * np.arange(3.0)), rtol=1e-6)


def _step(opt_cls, **kw):
    p = ember.nn.Parameter(ember.ones(3, device="cuda:1"))
    opt = opt_cls([p], lr=0.1, **kw)
    p.grad = ember.ones(3, device="cuda:1")
    opt.step()
    return p


def _setitem(a):
    a = a.clone()
    a[0] = 5.0
    return a


def _backward(loss_of, gradient=True, times=1):
    x = ember.tensor([1.0, 2.0, 3.0], device="cuda:1", requires_grad=True)
    for _ in range(times):
        loss_of(x).backward(ember.ones((), device="cuda:1") if gradient else None)
    return x.grad


# Work on cuda:1 tensors that bypasses Op.apply (and so runs on CuPy's current device): each entry names
# the code that needs `dev.call` (or the re-entry guard `if dev is not CPU and dev.needs_switch(): return
# dev.call(f, ...)`). Remove an entry when its code is fixed (the xfail is strict).
_OUTSIDE_OP_APPLY = {
    "comparison (elementwise.cmp)": lambda a: a > 0,
    "isnan (elementwise._test)": lambda a: a.isnan(),
    "argmax (reduction.arg)": lambda a: a.argmax(),
    "index_select (movement.index_select)": lambda a: a.index_select(0, ember.tensor([1, 0], device="cuda:1")),
    "in-place add_ (_registry.apply_inplace)": lambda a: a.clone().add_(1),
    "setitem (movement._index_put)": _setitem,
    "BatchNorm1d (nn.modules.batchnorm)": lambda a: ember.nn.BatchNorm1d(2).to("cuda:1")(a),
    "SGD step (optim)": lambda a: _step(ember.optim.SGD, momentum=0.9),
    "rand (random._make)": lambda a: ember.rand(3, device="cuda:1"),
    "uniform_ (random._fill_)": lambda a: ember.empty(3, device="cuda:1").uniform_(),
}


_BACKWARD_ON_SECOND_DEVICE = {
    "loss.backward() seed (autograd.backward)": lambda a: _backward(lambda x: (x * x).sum(), gradient=False),
    "second backward (engine._accumulate)": lambda a: _backward(lambda x: (x * x).sum(), times=2),
    "array code in a backward (engine._run_node)": lambda a: _backward(lambda x: x.prod()),
}


@pytest.mark.parametrize("work", _BACKWARD_ON_SECOND_DEVICE.values(), ids=_BACKWARD_ON_SECOND_DEVICE.keys())
def test_backward_paths_run_on_the_second_device(work):
    assert on(work(None), 1)


@pytest.mark.xfail(strict=True, raises=(AssertionError, ValueError, RuntimeError),
                   reason="runs outside Op.apply on CuPy's current device (0), not the tensors' (1)")
@pytest.mark.parametrize("work", _OUTSIDE_OP_APPLY.values(), ids=_OUTSIDE_OP_APPLY.keys())
def test_work_outside_op_apply_on_the_second_device(work):
    r = work(ember.tensor([[1.0, -2.0], [3.0, 4.0]], device="cuda:1"))
    assert on(r, 1)


def test_mixing_devices_is_an_error():
    a, b = ember.ones(2, device="cuda:0"), ember.ones(2, device="cuda:1")
    for op in (lambda: a + b, lambda: b * a, lambda: ember.cat([b, a]), lambda: b @ a):
        with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device, but found at "
                                               "least two devices, cuda:[01] and cuda:[01]!"):
            op()
    assert FAKE.current == 0


def test_no_device_switch_when_the_device_is_current():
    a = ember.ones(3, device="cuda:0", requires_grad=True)
    n = FAKE.switches
    (ember.zeros(3, device="cuda") + a * 2).sum().backward()
    assert FAKE.switches == n
    b = ember.ones(3, device="cuda:1")
    n = FAKE.switches
    b + b
    assert FAKE.switches == n + 1 and FAKE.current == 0


def test_cpu_work_never_asks_cupy_for_its_device(monkeypatch):
    calls = []
    ember.zeros(1, device="cuda")                          # CuPy probed
    get = _device._cuda_state["get_device"]
    monkeypatch.setitem(_device._cuda_state, "get_device", lambda: calls.append(1) or get())
    x = ember.arange(3.0, requires_grad=True)
    (ember.ones(3) + x.exp() * ember.tensor(2.0)).sum().backward()
    assert calls == [] and x.grad is not None
    ember.ones(2, device="cuda:1")
    assert calls                                           # the check is the one seen above


# ---- ember.cuda's current device (torch's API) ------------------------------------------------------------
def test_device_context_selects_and_restores():
    assert ember.cuda.current_device() == 0
    with ember.cuda.device(1):
        assert ember.cuda.current_device() == 1 and FAKE.current == 1
        t = ember.zeros(2, device="cuda")                  # 'cuda' means the current device
        assert t.device == ember.device("cuda:1") and t._data.device.id == 1
        with ember.cuda.device("cuda:0"):
            assert ember.cuda.current_device() == 0
        assert ember.cuda.current_device() == 1
    assert ember.cuda.current_device() == 0
    with ember.cuda.device(ember.device("cuda", 1)):
        assert ember.cuda.current_device() == 1
    for noop in (None, -1, "cuda"):
        with ember.cuda.device(noop):
            assert ember.cuda.current_device() == 0
    with pytest.raises(ValueError, match="Expected a cuda device, but got: cpu"):
        ember.cuda.device("cpu")


def test_device_context_restores_after_an_error():
    with pytest.raises(KeyError):
        with ember.cuda.device(1):
            raise KeyError
    assert ember.cuda.current_device() == 0


def test_set_device():
    ember.cuda.set_device(1)
    try:
        assert ember.cuda.current_device() == 1
        assert ember.ones(2, device="cuda").device == ember.device("cuda:1")
        with ember.cuda.device(0):
            assert ember.cuda.current_device() == 0
        assert ember.cuda.current_device() == 1
        ember.cuda.set_device(-1)                            # negative: no-op, as in torch
        assert ember.cuda.current_device() == 1
        ember.cuda.set_device("cuda:0")
        assert ember.cuda.current_device() == 0
        ember.cuda.set_device(ember.device("cuda", 1))
        assert ember.cuda.current_device() == 1
    finally:
        ember.cuda.set_device(0)
    with pytest.raises(ValueError, match="Expected a torch.device with a specified index or an integer, but got:cuda"):
        ember.cuda.set_device("cuda")
    with pytest.raises(ValueError, match="Expected a cuda device, but got: cpu"):
        ember.cuda.set_device("cpu")
    with pytest.raises(RuntimeError, match="invalid device ordinal"):
        ember.cuda.set_device(2)
    assert ember.cuda.current_device() == 0


def test_device_of_and_per_device_queries():
    t = ember.ones(2, device="cuda:1")
    with ember.cuda.device_of(t):
        assert ember.cuda.current_device() == 1
    with ember.cuda.device_of(ember.ones(2)):
        assert ember.cuda.current_device() == 0
    ember.cuda.synchronize("cuda:1")
    ember.cuda.synchronize()
    assert FAKE.synced[-2:] == [1, 0]
    FAKE.pool_used[1] = 512
    assert ember.cuda.memory_allocated(1) == 512 and ember.cuda.memory_allocated() == 0
    assert ember.cuda.get_device_name(1) == "Fake CUDA Device 1 (ember tests)"
    with ember.cuda.device(1):
        assert ember.cuda.get_device_name() == ember.cuda.get_device_name(1) != ember.cuda.get_device_name(0)
        assert ember.cuda.memory_allocated() == 512
    assert ember.cuda.current_device() == 0


def test_without_cuda_the_context_needs_a_device():
    with fake_cupy.uninstalled():
        with ember.cuda.device(None):                       # no-op, as torch
            pass
        with pytest.raises(RuntimeError, match="Torch not compiled with CUDA enabled"):
            with ember.cuda.device(0):
                pass
