"""ember's CUDA code paths, run on the fake CuPy (tests/cuda/fake_cupy.py): devices and conversions,
the fake's own guarantees, restoring the real state."""
import pickle

import numpy as np
import pytest

import ember

from . import fake_cupy
from .backend import array_type, fake_only
from .fake_cupy import FAKE, IMPLICIT_MSG


# ---- the fake itself ----------------------------------------------------------------------------
@fake_only
def test_fake_ndarray_is_a_distinct_type(fake_cuda):
    cp = fake_cuda
    a = cp.asarray(np.arange(3.0))
    assert type(a) is cp.ndarray and not isinstance(a, np.ndarray)
    assert type(np.arange(3)) is not cp.ndarray


@pytest.mark.parametrize("call", [
    lambda a: np.asarray(a),
    lambda a: np.array(a),
    lambda a: np.exp(a),
    lambda a: np.add(a, 1.0),
    lambda a: np.sum(a),
    lambda a: np.concatenate([a, a]),
    lambda a: np.where(a > 0, a, 0),
    lambda a: np.ones(3) + a,
    lambda a: a + np.ones(3),
    lambda a: a * np.ones(3),
    lambda a: np.maximum.at(a, [0], 1.0),
    lambda a: a.__setitem__(slice(None), np.ones(3)),
    lambda a: fake_cupy.cupy.add(a, np.ones(3)),
    lambda a: fake_cupy.cupy.concatenate([a, np.ones(3)]),
], ids=["asarray", "array", "ufunc", "ufunc2", "function", "concatenate", "where", "host+dev", "dev+host",
        "dev*host", "ufunc.at", "setitem-host", "cupy-ufunc-host", "cupy-func-host"])
@fake_only
def test_fake_refuses_implicit_conversion(fake_cuda, call):
    a = fake_cuda.asarray(np.arange(3.0))
    with pytest.raises(TypeError):
        call(a)


@fake_only
def test_fake_implicit_conversion_message(fake_cuda):
    with pytest.raises(TypeError, match="Implicit conversion to a NumPy array is not allowed"):
        np.asarray(fake_cuda.zeros(2))
    assert "Please use `.get()`" in IMPLICIT_MSG


@fake_only
def test_fake_module_calls_and_methods_work(fake_cuda):
    cp = fake_cuda
    h = np.arange(6.0).reshape(2, 3)
    a = cp.asarray(h)
    for r, expected in [(cp.exp(a), np.exp(h)), (cp.matmul(a, a.T), h @ h.T), (a @ a.T, h @ h.T),
                        (a.sum(axis=0), h.sum(axis=0)), (cp.where(a > 2, a, 0.0), np.where(h > 2, h, 0.0)),
                        (a[:, [0, 2]], h[:, [0, 2]]), (np.float32(2) * a, 2 * h), (2.0 - a, 2.0 - h),
                        (cp.concatenate([a, a]), np.concatenate([h, h]))]:
        assert type(r) is cp.ndarray
        np.testing.assert_array_equal(cp.asnumpy(r), expected)
    assert type(a.sum()) is cp.ndarray and a.sum().ndim == 0       # 0-d arrays, not NumPy scalars
    assert type(a[0, 0]) is cp.ndarray
    assert float(a.sum()) == 15.0 and a[1, 2].item() == 5.0


@fake_only
def test_fake_copies_between_host_and_device(fake_cuda):
    cp = fake_cuda
    h = np.arange(4.0)
    d = cp.asarray(h)
    h[0] = 100.0
    assert d.get()[0] == 0.0                        # asarray copied to the "device"
    back = cp.asnumpy(d)
    assert type(back) is np.ndarray and type(d.get()) is np.ndarray
    back[1] = 100.0
    assert d[1].item() == 1.0                       # asnumpy copied to the host
    assert cp.asarray(d) is d


@fake_only
def test_fake_api_is_cupy_not_numpy(fake_cuda):
    cp = fake_cuda
    a = cp.zeros(3)
    assert not hasattr(cp, "errstate") and not hasattr(cp, "broadcast_shapes")
    with pytest.raises(AttributeError):
        a.__array_interface__
    with pytest.raises(TypeError):
        a.max(initial=0.0)
    with pytest.raises(NotImplementedError):
        cp.maximum.accumulate(a)
    with pytest.raises(NotImplementedError):
        cp.multiply.at(a, [0], 2.0)
    with pytest.raises(TypeError):
        cp.add.at(cp.zeros(3, dtype=np.int64), [0, 0], 1)
    cp.add.at(a, cp.asarray(np.array([0, 0, 2])), 1.0)
    np.testing.assert_array_equal(a.get(), [2.0, 0.0, 1.0])
    with pytest.raises(TypeError):
        cp.asarray(np.zeros(2, dtype=ember.bfloat16.np))


@fake_only
def test_fake_runtime_and_pinned(fake_cuda, fake_state):
    import cupy
    import cupyx
    assert cupy is fake_cuda
    assert cupy.cuda.runtime.getDeviceCount() == 1 and cupy.cuda.runtime.getDevice() == 0
    p = cupyx.empty_pinned((2, 3), dtype=np.float32)
    assert type(p) is np.ndarray and p.shape == (2, 3)
    assert fake_state.pinned_calls == [((2, 3), np.dtype(np.float32))]


def test_install_and_restore_real_state():
    import sys
    assert ember.cuda.is_available()
    with fake_cupy.uninstalled():
        assert "cupy" not in sys.modules or sys.modules["cupy"] is None
        assert not ember.cuda.is_available()
        with pytest.raises(RuntimeError, match="Torch not compiled with CUDA enabled"):
            ember.zeros(2, device="cuda")
    assert ember.cuda.is_available()
    assert ember.zeros(2, device="cuda").is_cuda


@fake_only
def test_several_devices():
    with fake_cupy.installed(device_count=2):
        assert ember.cuda.device_count() == 2
        t = ember.ones(2, device="cuda:1")
        assert t.device == ember.device("cuda:1") and t.get_device() == 1
        with pytest.raises(RuntimeError, match="invalid device ordinal"):
            ember.ones(2, device="cuda:2")
        with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
            t + ember.ones(2, device="cuda:0")


# ---- devices, conversions, printing -------------------------------------------------------------
def test_create_and_move(fake_cuda):
    cp = fake_cuda
    a = ember.randn(3, device="cuda")
    assert a.device == ember.device("cuda:0") and a.device.type == "cuda" and a.device.index == 0
    assert a.is_cuda and not a.is_cpu and a.get_device() == 0
    assert type(a._data) is cp.ndarray
    c = ember.arange(6.0).reshape(2, 3)
    for moved in (c.to("cuda"), c.cuda(), c.to(ember.device("cuda", 0)), c.to("cuda:0"), c.cuda(0),
                  c.to(device="cuda"), c.to(a)):
        assert moved.is_cuda and type(moved._data) is cp.ndarray
        back = moved.cpu()
        assert back.device == ember.device("cpu") and type(back._data) is np.ndarray
        np.testing.assert_array_equal(back.numpy(), c.numpy())
    g = c.to("cuda")
    assert g.to("cuda") is g and g.cuda() is g
    assert c.to("cuda", ember.float64).dtype is ember.float64


@pytest.mark.parametrize("factory", [
    lambda d: ember.zeros(2, 3, device=d), lambda d: ember.ones(2, 3, device=d),
    lambda d: ember.full((2, 3), 1.5, device=d), lambda d: ember.empty(2, 3, device=d).fill_(2.0),
    lambda d: ember.arange(5, device=d), lambda d: ember.linspace(0, 1, 5, device=d),
    lambda d: ember.eye(3, device=d), lambda d: ember.tensor([[1, 2], [3, 4]], device=d),
    lambda d: ember.tensor(2.5, device=d), lambda d: ember.zeros_like(ember.ones(2), device=d),
    lambda d: ember.ones(2, device="cpu").new_zeros(3).to(d),
    lambda d: ember.as_tensor(np.arange(3), device=d),
], ids=["zeros", "ones", "full", "empty", "arange", "linspace", "eye", "tensor", "scalar", "zeros_like",
        "new_zeros", "as_tensor"])
def test_factories_on_cuda(factory):
    g = factory("cuda")
    c = factory("cpu")
    assert g.is_cuda and type(g._data) is array_type()
    assert g.dtype is c.dtype and g.shape == c.shape
    np.testing.assert_array_equal(g.cpu().numpy(), c.numpy())


def test_random_factories_on_cuda():
    for t in (ember.rand(3, device="cuda"), ember.randn(2, 2, device="cuda"),
              ember.randint(0, 5, (4,), device="cuda"), ember.randperm(5, device="cuda"),
              ember.randn_like(ember.zeros(2, device="cuda")), ember.rand_like(ember.zeros(2, device="cuda"))):
        assert t.is_cuda and type(t._data) is array_type()
    ember.manual_seed(3)
    a = ember.randn(4, device="cuda")
    ember.manual_seed(3)
    b = ember.randn(4)
    np.testing.assert_array_equal(a.cpu().numpy(), b.numpy())


def test_repr_shows_cuda_device():
    assert repr(ember.tensor([1.0, 2.0], device="cuda")) == "tensor([1., 2.], device='cuda:0')"
    assert repr(ember.tensor(3, device="cuda")) == "tensor(3, device='cuda:0')"
    assert "device='cuda:0'" in repr(ember.zeros(2, device="cuda", requires_grad=True))
    assert repr(ember.device("cuda", 0)) == "device(type='cuda', index=0)"
    assert str(ember.zeros(1, device="cuda").device) == "cuda:0"


def test_numpy_of_cuda_tensor_errors_like_torch():
    t = ember.ones(2, device="cuda")
    with pytest.raises(TypeError, match=r"^can't convert cuda:0 device type tensor to numpy\. Use Tensor\.cpu\(\) "
                                        r"to copy the tensor to host memory first\.$"):
        t.numpy()
    np.testing.assert_array_equal(t.cpu().numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(np.asarray(t), [1.0, 1.0])          # __array__ copies to the host
    assert t.tolist() == [1.0, 1.0] and t[0].item() == 1.0
    assert float(t[0]) == 1.0 and int(t[1]) == 1 and bool(t[0])


_MIXED_MSG = (r"Expected all tensors to be on the same device, but found at least two devices, "
              r"(cuda:0 and cpu|cpu and cuda:0)!")



@pytest.mark.parametrize("f", [lambda g, c: g + c, lambda g, c: g * c, lambda g, c: ember.matmul(g, c),
                               lambda g, c: ember.cat([g, c]), lambda g, c: ember.where(g > 0, g, c)],
                         ids=["add", "mul", "matmul", "cat", "where"])
def test_mixing_devices_errors_like_torch(f):
    with pytest.raises(RuntimeError, match=_MIXED_MSG):
        f(ember.ones(3, device="cuda"), ember.ones(3))


@pytest.mark.parametrize("f", [lambda g, c: c + g, lambda g, c: c * g, lambda g, c: ember.cat([c, g])],
                         ids=["add", "mul", "cat"])
def test_mixing_devices_cpu_first_errors_like_torch(f):
    with pytest.raises(RuntimeError, match=_MIXED_MSG):
        f(ember.ones(3, device="cuda"), ember.ones(3))


def test_zero_dim_cpu_tensor_mixes_with_cuda():
    g = ember.tensor([1.0, 2.0, 3.0], device="cuda")
    s = ember.tensor(2.0)
    for r, expected in [(g * s, [2.0, 4.0, 6.0]), (s * g, [2.0, 4.0, 6.0]), (g + s, [3.0, 4.0, 5.0]),
                        (s - g, [1.0, 0.0, -1.0]), (ember.maximum(g, s), [2.0, 2.0, 3.0])]:
        assert r.is_cuda and type(r._data) is array_type()
        np.testing.assert_array_equal(r.cpu().numpy(), expected)


def test_zero_dim_cpu_tensor_grad_flows_back_to_cpu():
    g = ember.tensor([1.0, 2.0, 3.0], device="cuda", requires_grad=True)
    s = ember.tensor(2.0, requires_grad=True)
    (g * s).sum().backward()
    assert g.grad.is_cuda and not s.grad.is_cuda
    np.testing.assert_array_equal(g.grad.cpu().numpy(), [2.0, 2.0, 2.0])
    assert s.grad.item() == 6.0




@pytest.mark.parametrize("f,expected", [(lambda g, s: g > s, [True, False]), (lambda g, s: s < g, [True, False]),
                                        (lambda g, s: s >= g, [False, True])], ids=["cuda>cpu0d", "cpu0d<cuda",
                                                                                  "cpu0d>=cuda"])
def test_compare_with_zero_dim_cpu_tensor(f, expected):
    r = f(ember.tensor([1.0, -1.0], device="cuda"), ember.tensor(0.0))
    assert r.is_cuda
    np.testing.assert_array_equal(r.cpu().numpy(), expected)


def test_compare_cpu_first_errors_like_torch():
    with pytest.raises(RuntimeError, match=_MIXED_MSG):
        ember.ones(2) > ember.ones(2, device="cuda")


def test_compare_mixed_devices_errors_like_torch():
    with pytest.raises(RuntimeError, match=_MIXED_MSG):
        ember.ones(2, device="cuda") == ember.ones(2)
    r = ember.ones(2, device="cuda") > 0
    assert r.is_cuda and r.dtype is ember.bool


def test_backward_into_cuda_leaf():
    """CuPy arrays' flags have no `writeable` (the fake's neither): gradient stealing must cope."""
    w = ember.ones(3, device="cuda", requires_grad=True)
    (w * 2).sum().backward()
    np.testing.assert_array_equal(w.grad.cpu().numpy(), [2.0, 2.0, 2.0])


def test_to_is_differentiable_across_devices():
    c = ember.tensor([1.0, 2.0], requires_grad=True)
    g = c.to("cuda")
    (g * g).sum().backward()
    assert not c.grad.is_cuda
    np.testing.assert_array_equal(c.grad.numpy(), [2.0, 4.0])
    g2 = ember.tensor([1.0, 2.0], device="cuda", requires_grad=True)
    (g2.cpu() * 3).sum().backward()
    assert g2.grad.is_cuda
    np.testing.assert_array_equal(g2.grad.cpu().numpy(), [3.0, 3.0])


def test_dtype_conversions_on_cuda():
    g = ember.tensor([1.5, -2.5], device="cuda")
    for d in (ember.float64, ember.float16, ember.int32, ember.int64, ember.bool, ember.uint8, ember.complex64):
        r = g.to(d)
        assert r.is_cuda and r.dtype is d
        np.testing.assert_array_equal(r.cpu().numpy(), ember.tensor([1.5, -2.5]).to(d).numpy())
    assert g.long().is_cuda and g.double().dtype is ember.float64 and g.type() == "torch.cuda.FloatTensor"


@fake_only
def test_cuda_module_queries():
    assert ember.cuda.is_available() and ember.cuda.device_count() == 1
    assert ember.cuda.current_device() == 0
    assert isinstance(ember.cuda.get_device_name(), str) and ember.cuda.get_device_name(0)
    assert ember.cuda.get_device_capability() == (8, 0)
    n = FAKE.synchronized
    ember.cuda.synchronize()
    assert FAKE.synchronized == n + 1
    ember.cuda.empty_cache()
    assert ember.cuda.memory_allocated() == 0
    ember.cuda.manual_seed(5)
    a = ember.randn(3, device="cuda")
    ember.manual_seed(5)
    assert ember.equal(ember.randn(3, device="cuda"), a)
    # ember draws CUDA randoms itself: CuPy's generator is never seeded (that would start a CUDA context, which
    # fails in DataLoader workers forked from a process that uses the GPU)
    assert FAKE.seeds == []
    ember.cuda.set_device(0)
    with ember.cuda.device(0):
        assert ember.cuda.current_device() == 0


def test_default_device_context_manager():
    with ember.device("cuda"):
        t = ember.zeros(2)
        assert t.is_cuda
    assert not ember.zeros(2).is_cuda


def test_module_cuda_and_cpu():
    m = ember.nn.Linear(3, 2)
    m.cuda()
    assert all(p.is_cuda for p in m.parameters())
    out = m(ember.ones(1, 3, device="cuda"))
    assert out.is_cuda
    m.cpu()
    assert not any(p.is_cuda for p in m.parameters())
    m.to("cuda")
    assert all(p.is_cuda and p.is_leaf and p.requires_grad for p in m.parameters())


def test_save_and_load_cuda_tensor(tmp_path):
    g = ember.arange(6.0, device="cuda").reshape(2, 3)
    p = tmp_path / "t.pt"
    ember.save({"g": g, "list": [g[0]]}, p)
    loaded = ember.load(p, map_location="cpu")
    assert not loaded["g"].is_cuda
    np.testing.assert_array_equal(loaded["g"].numpy(), np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(loaded["list"][0].numpy(), [0.0, 1.0, 2.0])
    with fake_cupy.uninstalled():
        assert not ember.load(p, map_location="cpu")["g"].is_cuda


def test_load_with_map_location_cuda(tmp_path):
    p = tmp_path / "t.pt"
    ember.save({"g": ember.arange(6.0).reshape(2, 3)}, p)
    to_cuda = ember.load(p, map_location="cuda")
    assert to_cuda["g"].is_cuda and type(to_cuda["g"]._data) is array_type()
    np.testing.assert_array_equal(to_cuda["g"].cpu().numpy(), np.arange(6.0).reshape(2, 3))


def test_load_restores_saved_device(tmp_path):
    p = tmp_path / "t.pt"
    ember.save(ember.arange(3.0, device="cuda"), p)
    assert ember.load(p).is_cuda
    with fake_cupy.uninstalled():
        with pytest.raises(RuntimeError, match="Attempting to deserialize object on a CUDA device"):
            ember.load(p)


def test_save_and_load_cuda_state_dict(tmp_path):
    m = ember.nn.Linear(3, 2).cuda()
    p = tmp_path / "m.pt"
    ember.save(m.state_dict(), p)
    sd = ember.load(p, map_location="cpu")
    m2 = ember.nn.Linear(3, 2)
    m2.load_state_dict(sd)
    np.testing.assert_array_equal(m2.weight.detach().numpy(), m.weight.detach().cpu().numpy())
    m3 = ember.nn.Linear(3, 2).cuda()
    m3.load_state_dict(sd)                        # cpu state into a cuda module stays on cuda
    assert m3.weight.is_cuda and type(m3.weight._data) is array_type()
    np.testing.assert_array_equal(m3.weight.detach().cpu().numpy(), m.weight.detach().cpu().numpy())


def test_pickle_and_deepcopy_cuda_tensor():
    import copy
    g = ember.tensor([1.0, 2.0], device="cuda", requires_grad=True)
    h = copy.deepcopy(g)
    assert h.is_cuda and h.requires_grad and type(h._data) is array_type()
    r = pickle.loads(pickle.dumps(g))
    assert r.is_cuda and r.requires_grad
    np.testing.assert_array_equal(r.detach().cpu().numpy(), [1.0, 2.0])


@fake_only
def test_second_device_holds_its_data():
    with fake_cupy.installed(device_count=2):
        t = ember.ones(2, device="cuda:1")
        assert t._data.device.id == 1
        u = ember.arange(2.0).to("cuda:1")
        assert u._data.device.id == 1
        assert (t + u)._data.device.id == 1


@fake_only
def test_moving_between_devices_copies_to_the_target():
    with fake_cupy.installed(device_count=2):
        u = ember.arange(2.0).to("cuda:1")             # transfer() allocates under the target device
        assert u._data.device.id == 1 and u.device == ember.device("cuda:1")
        with ember.cuda.device(1):
            v = u.to("cuda:0")
        assert v._data.device.id == 0 and v.device == ember.device("cuda:0")
        np.testing.assert_array_equal(v.cpu().numpy(), [0.0, 1.0])


def test_storage_offset_of_cuda_view():
    g = ember.arange(6.0, device="cuda")
    assert g[2:].storage_offset() == 2 and g.view(2, 3)[1].storage_offset() == 3


def test_gradcheck_on_cuda():
    x = ember.randn(3, dtype=ember.float64, device="cuda", requires_grad=True)
    assert ember.autograd.gradcheck(lambda x: (x * x).sin(), (x,))
    assert ember.autograd.gradgradcheck(lambda x: (x * x).sin(), (x,))


def test_misc_tensor_api_on_cuda():
    g = ember.arange(6.0, device="cuda").reshape(2, 3)
    assert g.t().stride() == (1, 3) and not g.t().is_contiguous() and g.is_contiguous()
    assert g.data_ptr() != 0 and g.element_size() == 4 and g.nbytes == 24
    assert f"{ember.tensor(1.5, device='cuda'):.2f}" == "1.50"
    assert list(range(ember.tensor(3, device="cuda"))) == [0, 1, 2]
    assert len(list(g)) == 2 and all(r.is_cuda for r in g)
    assert ember.equal(g, g.clone()) and ember.allclose(g, g + 1e-9) and bool(ember.isclose(g, g).all())
    assert "device='cuda:0'" in repr(ember.arange(2000.0, device="cuda"))
    assert repr(ember.ones(2, device="cuda", dtype=ember.float16)) == \
        "tensor([1., 1.], device='cuda:0', dtype=ember.float16)"          # torch: device before dtype
    for d in (ember.complex64, ember.bool, ember.int8, ember.float64):
        assert "device='cuda:0'" in repr(ember.ones(2, device="cuda", dtype=d))
    assert ember.tensor(True, device="cuda").item() is True
    assert type(g.numpy(force=True)) is np.ndarray
    with pytest.warns(UserWarning):
        assert ember.tensor(g).is_cuda
    assert not ember.as_tensor(g, device="cpu").is_cuda
    assert ember.tensor([ember.tensor(1.0, device="cuda"), ember.tensor(2.0, device="cuda")]).tolist() == [1.0, 2.0]
    for t in (g.new_tensor([1, 2]), g.new_ones(3), g.new_full((2,), 3.0), g.new_empty(2), g.new_zeros(2)):
        assert t.is_cuda and type(t._data) is array_type()
    for f in (ember.zeros_like, ember.ones_like, ember.empty_like, ember.rand_like, ember.randn_like,
              lambda t: ember.full_like(t, 2.0), lambda t: ember.randint_like(t, 5)):
        assert f(g).is_cuda


def test_indexing_cuda_tensors_with_host_indices():
    g = ember.arange(6.0, device="cuda").reshape(3, 2)
    for idx, expected in [(ember.tensor([0, 2]), [[0.0, 1.0], [4.0, 5.0]]), ([0, 2], [[0.0, 1.0], [4.0, 5.0]]),
                          (np.array([2]), [[4.0, 5.0]]), (ember.tensor([True, False, True]), [[0.0, 1.0], [4.0, 5.0]])]:
        r = g[idx]
        assert r.is_cuda and type(r._data) is array_type()
        np.testing.assert_array_equal(r.cpu().numpy(), expected)
    h = g.clone()
    h[ember.tensor([1])] = ember.tensor(9.0)
    h[0] = ember.zeros(2)                               # a cpu value copied into a cuda tensor
    np.testing.assert_array_equal(h.cpu().numpy(), [[0.0, 0.0], [9.0, 9.0], [4.0, 5.0]])


def test_copy_between_devices():
    g = ember.ones(3, device="cuda")
    g.copy_(ember.arange(3.0))
    assert g.is_cuda and type(g._data) is array_type()
    np.testing.assert_array_equal(g.cpu().numpy(), [0.0, 1.0, 2.0])
    c = ember.zeros(3)
    c.copy_(g * 2)
    assert not c.is_cuda and type(c._data) is np.ndarray
    np.testing.assert_array_equal(c.numpy(), [0.0, 2.0, 4.0])


def test_random_and_init_on_cuda():
    nn = ember.nn
    for f in (lambda t: t.uniform_(), lambda t: t.normal_(), lambda t: t.bernoulli_(0.5), lambda t: t.random_(0, 5),
              lambda t: t.exponential_(), lambda t: t.fill_(2.0), lambda t: t.zero_(), nn.init.kaiming_uniform_,
              nn.init.xavier_normal_, nn.init.trunc_normal_, nn.init.orthogonal_, nn.init.zeros_, nn.init.normal_,
              nn.init.eye_, lambda t: nn.init.constant_(t, 2.0)):
        t = ember.empty(4, 3, device="cuda")
        r = f(t)
        assert r is t and type(t._data) is array_type()
    assert ember.multinomial(ember.ones(5, device="cuda"), 3).is_cuda
    assert ember.bernoulli(ember.full((5,), 0.5, device="cuda")).is_cuda
    assert ember.poisson(ember.ones(5, device="cuda")).is_cuda
    assert ember.normal(ember.zeros(3, device="cuda"), 1.0).is_cuda
    gen = ember.Generator(device="cuda").manual_seed(1)
    assert ember.randn(3, device="cuda", generator=gen).is_cuda


def test_autograd_functional_on_cuda():
    x = ember.ones(2, device="cuda", requires_grad=True)
    (g,) = ember.autograd.grad((x ** 3).sum(), [x], create_graph=True)
    assert g.is_cuda and g.requires_grad
    (gg,) = ember.autograd.grad(g.sum(), [x])
    np.testing.assert_array_equal(gg.cpu().numpy(), [6.0, 6.0])
    h = x.register_hook(lambda grad: grad * 10)
    (x * 1).sum().backward()
    h.remove()
    assert x.grad.is_cuda
    np.testing.assert_array_equal(x.grad.cpu().numpy(), [10.0, 10.0])
    with ember.no_grad():
        assert not (x * 2).requires_grad


class _Square(ember.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return 2 * x * g


def test_custom_autograd_function_on_cuda():
    x = ember.tensor([1.0, 3.0], device="cuda", requires_grad=True)
    y = _Square.apply(x)
    assert y.is_cuda
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.cpu().numpy(), [2.0, 6.0])


def test_cuda_manual_seed_seeds_the_device_stream_only():
    """ember.cuda.manual_seed / manual_seed_all seed the CUDA streams (kept apart from the CPU stream, as torch)."""
    import ember
    ember.manual_seed(0)
    cpu_next = ember.rand(3).tolist()
    ember.manual_seed(0)
    ember.cuda.manual_seed(7)
    a = ember.randn(5, device="cuda").cpu().tolist()
    assert ember.rand(3).tolist() == cpu_next       # drawing on the GPU left the CPU stream where it was
    ember.cuda.manual_seed_all(7)
    assert ember.randn(5, device="cuda").cpu().tolist() == a
    ember.cuda.manual_seed(8)
    assert ember.randn(5, device="cuda").cpu().tolist() != a
