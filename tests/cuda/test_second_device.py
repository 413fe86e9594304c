"""Tensors on a second CUDA device ('cuda:1', fake CuPy with two devices): their arrays live on that
device and their work runs there, whatever CuPy's current device is, which is left as it was; and
ember.cuda's current-device API (device, set_device, current_device, device_of) behaves as torch's."""
import copy
import io

import numpy as np
import pytest

import ember
from ember import _device

from . import fake_cupy
from .backend import fake_only
from .fake_cupy import FAKE
from .test_ops_on_cuda import CASES, _close, _tensor


pytestmark = fake_only      # two devices: the fake has them, our GPU machines have one


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
    for _ in range(2):
        p.grad = ember.ones(3, device="cuda:1")
        opt.step()
    return p


def _lbfgs_step():
    p = ember.nn.Parameter(ember.ones(3, device="cuda:1"))
    opt = ember.optim.LBFGS([p], max_iter=3)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss
    opt.step(closure)
    return p


def _setitem(a):
    a = a.clone()
    a[0] = 5.0
    a[[1], 1] = 6.0
    return a


def _trained_linear(zero_grad):
    m = ember.nn.Linear(2, 2, device="cuda:1")
    m(ember.ones(3, 2, device="cuda:1")).sum().backward(ember.ones((), device="cuda:1"))
    zero_grad(m)
    return m.weight.grad


def _loaded_state():
    m = ember.nn.Linear(2, 2, device="cuda:1")
    m.load_state_dict(ember.nn.Linear(2, 2).state_dict())
    return m.weight


def _spectral_norm(a):
    return ember.nn.utils.spectral_norm(ember.nn.Linear(2, 2)).to("cuda:1")(a)


def _loaded(a, map_location):
    buf = io.BytesIO()
    ember.save(a.cpu(), buf)
    buf.seek(0)
    return ember.load(buf, map_location=map_location)


def _safetensors_loaded(a, tmp):
    from ember.utils.safetensors import load_file, save_file
    save_file({"a": a.cpu()}, tmp)
    return load_file(tmp, device="cuda:1")["a"]


def _storage_written(a):
    a = a.clone()
    a.untyped_storage()[0] = 0
    return a


def _idx(*values):
    return ember.tensor(values, device="cuda:1")


def _backward(loss_of, gradient=True, times=1):
    x = ember.tensor([1.0, 2.0, 3.0], device="cuda:1", requires_grad=True)
    for _ in range(times):
        loss_of(x).backward(ember.ones((), device="cuda:1") if gradient else None)
    return x.grad


F = ember.nn.functional

# Work on cuda:1 tensors outside Op.apply (array code in functions, in-place writes, factories, optimizer
# steps): each function re-enters itself with its tensors' device current (`if dev is not CPU and
# dev.needs_switch(): return dev.call(f, ...)`), so it allocates and computes there.
_OUTSIDE_OP_APPLY_ON_SECOND_DEVICE = {
    # elementwise / reduction / movement
    "comparison (elementwise.cmp)": lambda a: a > 0,
    "comparison with a 0-d CPU tensor (elementwise.cmp)": lambda a: ember.tensor(0.0) < a,
    "isnan (elementwise._test)": lambda a: a.isnan(),
    "bitwise and (elementwise._int_binary)": lambda a: a.long() & 1,
    "argmax (reduction.arg)": lambda a: a.argmax(),
    "argsort (reduction.argsort)": lambda a: a.argsort(1, descending=True),
    "any (reduction._logical)": lambda a: a.any(1),
    "count_nonzero (reduction.count_nonzero)": lambda a: ember.count_nonzero(a, 0),
    "bincount (reduction.bincount)": lambda a: ember.bincount(_idx(0, 2, 2)),
    "histc (reduction.histc)": lambda a: ember.histc(a, 4),
    "unique (reduction.unique)": lambda a: ember.unique(a, return_counts=True)[1],
    "unique_consecutive (reduction.unique_consecutive)": lambda a: ember.unique_consecutive(_idx(1, 1, 2)),
    "median of an empty tensor (reduction.median)": lambda a: a[:0].median(),
    "index_select (movement.index_select)": lambda a: a.index_select(0, _idx(1, 0)),
    "gather (movement._check_index)": lambda a: a.gather(1, _idx([1], [0])),
    "index_add (movement._index_op)": lambda a: a.index_add(0, _idx(1, 1), a),
    "index_fill (movement._fill_value)": lambda a: a.index_fill(1, _idx(0), -1.0),
    "take (movement._flat_index)": lambda a: a.take(_idx(3, 0)),
    "nonzero (movement.nonzero)": lambda a: (a > 0).nonzero(),
    "repeat_interleave (movement.repeat_interleave)": lambda a: a.repeat_interleave(_idx(1, 2), dim=0),
    "as_strided (movement.as_strided)": lambda a: _backward(lambda x: x.as_strided((2,), (2,)).sum()),
    "getitem with a list (movement.getitem)": lambda a: a[[1, 0]],
    "setitem (movement.setitem)": _setitem,
    "index_put_ (movement.index_put_)": lambda a: a.clone().index_put_((_idx(0, 0),), _idx(1.0, 2.0), True),
    "cat out= (movement._to_out)": lambda a: ember.cat([a, a], out=ember.empty(0, device="cuda:1")),
    "in-place add_ (_registry.apply_inplace)": lambda a: a.clone().add_(1),
    "pinv (linalg.pinv)": lambda a: ember.linalg.pinv(a),
    "matrix_rank (linalg.matrix_rank)": lambda a: ember.linalg.matrix_rank(a),
    "lstsq (linalg.lstsq)": lambda a: ember.linalg.lstsq(a, a).solution,
    "logdet (linalg.logdet)": lambda a: ember.logdet(a),
    # random
    "rand (random._make)": lambda a: ember.rand(3, device="cuda:1"),
    "uniform_ (random._fill_)": lambda a: ember.empty(3, device="cuda:1").uniform_(),
    # nn.functional and its primitives
    "softplus (functional.softplus)": lambda a: F.softplus(a, threshold=2.0),
    "hardtanh (functional.hardtanh)": lambda a: F.hardtanh(a),
    "one_hot (functional.one_hot)": lambda a: F.one_hot(_idx(0, 2), 3),
    "cross_entropy (functional.cross_entropy)": lambda a: F.cross_entropy(a, _idx(1, 0), label_smoothing=0.1),
    "binary_cross_entropy (functional.binary_cross_entropy)": lambda a: F.binary_cross_entropy(a.sigmoid(), a * 0),
    "kl_div (functional.kl_div)": lambda a: F.kl_div(a, a.softmax(1), reduction="batchmean"),
    "multi_margin_loss (functional.multi_margin_loss)": lambda a: F.multi_margin_loss(a, _idx(1, 0)),
    "scaled_dot_product_attention (causal mask)": lambda a: F.scaled_dot_product_attention(a, a, a, is_causal=True),
    "local_response_norm (functional.local_response_norm)": lambda a: F.local_response_norm(a[None], 2),
    "leaky_relu (nn_ops.leaky_relu_impl)": lambda a: F.leaky_relu(a, 0.1),
    "dropout (nn_ops.dropout_impl)": lambda a: F.dropout(a, 0.5),
    "embedding (nn_ops.embedding_impl)": lambda a: F.embedding(_idx(1, 0), a, max_norm=1.0),
    "embedding_bag (nn_ops.embedding_bag)": lambda a: F.embedding_bag(_idx(0, 1, 1), a, _idx(0, 1)),
    "interpolate (resample.interpolate)": lambda a: F.interpolate(a[None, None], scale_factor=2, mode="bilinear"),
    "affine_grid + grid_sample (resample)": lambda a: F.grid_sample(
        a[None, None], F.affine_grid(_idx([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), (1, 1, 2, 2), align_corners=False),
        align_corners=False),
    # modules, init, utilities
    "Linear(device=) (init._write)": lambda a: ember.nn.Linear(2, 2, device="cuda:1")(a),
    "Embedding padding_idx (sparse._zero_row)": lambda a: ember.nn.Embedding(3, 2, padding_idx=0,
                                                                             device="cuda:1").weight,
    "load_state_dict (module._copy_into)": lambda a: _loaded_state(),
    "Module.zero_grad(set_to_none=False) (module._zero)": lambda a: _trained_linear(
        lambda m: m.zero_grad(set_to_none=False)),
    "MultiheadAttention bool mask (attention._canonical_mask)": lambda a: ember.nn.MultiheadAttention(2, 1).to(
        "cuda:1")(a[:, None], a[:, None], a[:, None], attn_mask=_idx([False, True], [False, False]))[0],
    "clip_grad_norm_ (clip_grad._scale_)": lambda a: _trained_linear(
        lambda m: ember.nn.utils.clip_grad_norm_(m.parameters(), 0.1)),
    "clip_grad_value_ (clip_grad._clip_)": lambda a: _trained_linear(
        lambda m: ember.nn.utils.clip_grad_value_(m.parameters(), 0.1)),
    "spectral_norm (SpectralNorm.compute_weight)": _spectral_norm,
    "load with map_location (serialization)": lambda a: _loaded(a, "cuda:1"),
    "untyped_storage()[i] = v (storage)": _storage_written,
    "vision normalize (transforms._functional_tensor)": lambda a: ember.vision.transforms.functional.normalize(
        a[None], [0.5], [2.0]),
    # optimizers
    "SGD step (optimizer._with_hooks)": lambda a: _step(ember.optim.SGD, momentum=0.9, nesterov=True),
    "Adam step (optimizer._with_hooks)": lambda a: _step(ember.optim.Adam, amsgrad=True, weight_decay=0.1),
    "Adagrad state at init (Optimizer._zeros)": lambda a: _step(ember.optim.Adagrad),
    "LBFGS step (optimizer._with_hooks)": lambda a: _lbfgs_step(),
    "optimizer zero_grad(set_to_none=False) (optimizer._zero)": lambda a: _trained_linear(
        lambda m: ember.optim.SGD(m.parameters()).zero_grad(set_to_none=False)),
    "bitwise_not (elementwise.bitwise_not)": lambda a: ~(a > 0),
    "logical_and (elementwise._logical)": lambda a: ember.logical_and(a, a),
    "where(condition) (elementwise.where)": lambda a: ember.where(a > 0)[0],
    "isclose (elementwise.isclose)": lambda a: ember.isclose(a, a),
    "eq_ (elementwise._cmp_inplace)": lambda a: a.clone().eq_(a),
    "out= (elementwise._out)": lambda a: ember.sum(a, 0, out=ember.empty(2, device="cuda:1")),
    "deepcopy (Tensor.__deepcopy__)": lambda a: copy.deepcopy(a),
    "BatchNorm1d (nn.modules.batchnorm + nn_ops._stats/_norm)": lambda a: ember.nn.BatchNorm1d(2).to("cuda:1")(a),
    "layer_norm (nn_ops.layer_norm)": lambda a: F.layer_norm(a, (2,)),
    "group_norm (nn_ops.group_norm)": lambda a: F.group_norm(a[None], 1),
    "instance_norm (nn_ops.instance_norm_impl)": lambda a: F.instance_norm(a[None]),
    "max_unpool2d (pooling._max_unpoolnd)": lambda a: F.max_unpool2d(*F.max_pool2d(a[None, None], 1,
                                                                                    return_indices=True), 1),
    "adaptive_avg_pool2d (pooling._adaptive_avg_poolnd)": lambda a: F.adaptive_avg_pool2d(a[None, None], 1),
    "adaptive_max_pool2d (pooling._adaptive_max_poolnd)": lambda a: F.adaptive_max_pool2d(a[None, None], 1),
    "fractional_max_pool2d (pooling._fractional_max_poolnd)": lambda a: F.fractional_max_pool2d(a[None, None], 1,
                                                                                                output_size=1),
}


@pytest.mark.parametrize("work", _OUTSIDE_OP_APPLY_ON_SECOND_DEVICE.values(),
                         ids=_OUTSIDE_OP_APPLY_ON_SECOND_DEVICE.keys())
def test_work_outside_op_apply_runs_on_the_second_device(work):
    r = work(ember.tensor([[1.0, -2.0], [3.0, 4.0]], device="cuda:1"))
    assert on(r, 1)


def test_safetensors_load_onto_the_second_device(tmp_path):
    assert on(_safetensors_loaded(ember.arange(3.0), str(tmp_path / "a.safetensors")), 1)


def test_optimizer_steps_parameters_on_several_devices():
    ps = [ember.nn.Parameter(ember.ones(2, device=d)) for d in ("cuda:1", "cpu", "cuda:0", "cuda:1")]
    opt = ember.optim.SGD([{"params": ps[:2]}, {"params": ps[2:], "lr": 0.5}], lr=0.1, momentum=0.9)
    for p in ps:
        p.grad = ember.ones(2, device=p.device)
    groups = opt.param_groups
    assert opt.step(lambda: 7.0) == 7.0                     # the closure once, every parameter updated
    assert opt.param_groups is groups and [len(g["params"]) for g in groups] == [2, 2]
    assert on(ps[0], 1) and on(ps[2], 0) and on(ps[3], 1) and FAKE.current == 0
    np.testing.assert_allclose([p.detach().cpu().numpy() for p in ps], [[0.9] * 2, [0.9] * 2, [0.5] * 2, [0.5] * 2])
    assert all(on(opt.state[p]["momentum_buffer"], 1) for p in (ps[0], ps[3]))


_BACKWARD_ON_SECOND_DEVICE = {
    "loss.backward() seed (autograd.backward)": lambda a: _backward(lambda x: (x * x).sum(), gradient=False),
    "second backward (engine._accumulate)": lambda a: _backward(lambda x: (x * x).sum(), times=2),
    "array code in a backward (engine._run_node)": lambda a: _backward(lambda x: x.prod()),
}


@pytest.mark.parametrize("work", _BACKWARD_ON_SECOND_DEVICE.values(), ids=_BACKWARD_ON_SECOND_DEVICE.keys())
def test_backward_paths_run_on_the_second_device(work):
    assert on(work(None), 1)


# test_ops_on_cuda's table on cuda:1 (CuPy's current device 0): same results as on the CPU, every output and
# gradient on device 1.


def _results(fn, arrays, device, grad):
    """fn's outputs and, when grad, its inputs' gradients (host arrays); on 'cuda:1' each must live there."""
    ts = [_tensor(a, device, grad) for a in arrays]
    out = fn(*ts)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    if grad:
        terms = [(o * ember.tensor(np.random.RandomState(k).randn(*o.shape), dtype=o.dtype, device=o.device)).sum()
                 for k, o in enumerate(outs) if o.requires_grad]
        sum(terms[1:], terms[0]).backward()
        outs += [t.grad for t in ts if isinstance(t, ember.Tensor) and t.requires_grad]
    if device != "cpu":
        for k, o in enumerate(outs):
            assert on(o, 1), f"result {k} on device {o._data.device.id} ({o.device}), current {FAKE.current}"
    return [o.detach().cpu().numpy() for o in outs]


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning",
                            "ignore:divide by zero encountered:RuntimeWarning")
@pytest.mark.parametrize("name,fn,arrays,grad", CASES, ids=[c[0] for c in CASES])
def test_op_table_on_the_second_device(name, fn, arrays, grad):
    want = _results(fn, arrays, "cpu", grad)
    got = _results(fn, arrays, "cuda:1", grad)
    assert len(got) == len(want)
    for k, (g, w) in enumerate(zip(got, want)):
        _close(g, w, f"{name} result {k}")


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


def test_cpu_work_outside_op_apply_never_asks_cupy_for_its_device(monkeypatch):
    calls = []
    ember.zeros(1, device="cuda")
    get = _device._cuda_state["get_device"]
    monkeypatch.setitem(_device._cuda_state, "get_device", lambda: calls.append(1) or get())
    a = ember.tensor([[1.0, -2.0], [3.0, 4.0]])
    b = a.clone()
    b[0] = 5.0
    b.add_(1).uniform_()
    results = [a > 0, a.isnan(), a.argmax(), a.index_select(0, ember.tensor([1, 0])), b, ember.rand(2),
               F.softplus(a), F.cross_entropy(a, ember.tensor([1, 0])), _cpu_step(), a[[1, 0]], ember.unique(a)]
    assert calls == [] and all(r.device == ember.device("cpu") for r in results)


def _cpu_step():
    p = ember.nn.Parameter(ember.ones(3))
    opt = ember.optim.Adam([p])
    p.grad = ember.ones(3)
    opt.step()
    return p


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
