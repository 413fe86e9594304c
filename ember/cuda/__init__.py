"""ember.cuda: device queries backed by CuPy when a CUDA device is present."""
import weakref

from .._device import _cupy
from .._device import device as _device


def is_available():
    return _cupy() is not None


def device_count():
    cp = _cupy()
    return cp.cuda.runtime.getDeviceCount() if cp is not None else 0


def current_device():
    """Index of CuPy's current device: where tensors for 'cuda' (no index) go."""
    _require()
    return _cupy().cuda.runtime.getDevice()


def set_device(device):
    """Make `device` (index, 'cuda:i', ember.device) the current device; a negative index is a no-op."""
    _exchange(_index(device))


def _index(d, optional=False):
    """torch's rules for a device argument: an int as is, 'cuda:i' / ember.device / ember.cuda.device
    give their index; None or 'cuda' mean the current device (-1 without CUDA) if `optional`."""
    if isinstance(d, int):
        return d
    if isinstance(d, str):
        d = _device(d)
    if isinstance(d, _device):
        if d.type != "cuda":
            raise ValueError(f"Expected a cuda device, but got: {d}")
        if d.index is not None:
            return d.index
    elif isinstance(d, device):
        return d.idx
    if not optional:
        raise ValueError(f"Expected a torch.device with a specified index or an integer, but got:{d}")
    return current_device() if is_available() else -1


def _exchange(idx):
    """Make device `idx` current and return the previous current one; -1 (nothing done) if idx < 0."""
    if idx < 0:
        return -1
    _require()
    rt = _cupy().cuda.runtime
    if idx >= rt.getDeviceCount():
        raise RuntimeError(f"CUDA error: invalid device ordinal (device {idx} requested, "
                           f"{rt.getDeviceCount()} available)")
    prev = rt.getDevice()
    if prev != idx:
        rt.setDevice(idx)
    return prev


def get_device_name(device=None):
    _require()
    return _cupy().cuda.runtime.getDeviceProperties(_index(device, optional=True))["name"].decode()


def get_device_capability(device=None):
    _require()
    props = _cupy().cuda.runtime.getDeviceProperties(_index(device, optional=True))
    return props["major"], props["minor"]


def synchronize(device=None):
    cp = _cupy()
    if cp is not None:
        cp.cuda.Device(_index(device, optional=True)).synchronize()


def empty_cache():
    cp = _cupy()
    if cp is not None:
        cp.get_default_memory_pool().free_all_blocks()


def memory_allocated(device=None):
    return _pool_bytes("used_bytes", device)


def max_memory_allocated(device=None):
    return _pool_bytes("total_bytes", device)


def memory_reserved(device=None):
    return _pool_bytes("total_bytes", device)


def _pool_bytes(stat, d):
    """A byte count of CuPy's memory pool on device `d` (the pool reports on the current device); 0 without CUDA."""
    cp = _cupy()
    if cp is None:
        return 0
    with device(d):
        return getattr(cp.get_default_memory_pool(), stat)()


def manual_seed(seed):
    """Seed the current CUDA device's stream (ember draws CUDA randoms on the host, one stream per device)."""
    from ..random import seed_cuda_streams
    seed_cuda_streams(seed, current_device())
    cp = _cupy()
    if cp is not None:
        cp.random.seed(int(seed) & 0xFFFFFFFF)


def manual_seed_all(seed):
    """Seed every CUDA device's stream."""
    from ..random import seed_cuda_streams
    seed_cuda_streams(seed)
    cp = _cupy()
    if cp is not None:
        cp.random.seed(int(seed) & 0xFFFFFFFF)


def init():
    pass


def is_initialized():
    return is_available()


def _require():
    if _cupy() is None:
        raise RuntimeError("Torch not compiled with CUDA enabled: ember found no usable CUDA device "
                           "(install the 'ember[cuda]' extra (CuPy) on a machine with an NVIDIA GPU)")


class device:
    """Context manager making `device` CuPy's current device, the previous one restored on exit;
    None or a negative index: no-op (as torch.cuda.device)."""

    def __init__(self, device):
        self.idx = _index(device, optional=True)
        self.prev_idx = -1

    def __enter__(self):
        self.prev_idx = _exchange(self.idx)

    def __exit__(self, *exc):
        self.idx = _exchange(self.prev_idx)
        return False


class device_of(device):
    """`device` for the device of a tensor; no-op for a CPU tensor."""

    def __init__(self, obj):
        super().__init__(obj.get_device() if obj.is_cuda else -1)


# ---- page-locked (pinned) host memory --------------------------------------------------------------
_pinned = {}     # id(host array allocated by cupyx.empty_pinned) -> weakref to it


def _pinned_empty(shape, dtype):
    """A NumPy array in page-locked host memory (cupyx.empty_pinned), remembered as pinned."""
    import cupyx
    a = cupyx.empty_pinned(shape, dtype=dtype)
    root = _root(a)
    key = id(root)
    _pinned[key] = weakref.ref(root, lambda _, key=key: _pinned.pop(key, None))
    return a


def _is_pinned_array(a):
    """True if host array `a` (or the array it views) lives in memory from `_pinned_empty`."""
    root = _root(a)
    ref = _pinned.get(id(root))
    return ref is not None and ref() is root


from ..storage import root_array as _root  # noqa: E402


_PinMemory = None


def _pin(t):
    """t copied into pinned memory; differentiable (PinMemoryBackward0 passes the gradient through)."""
    global _PinMemory
    if _PinMemory is None:
        from .._ops._op import Op

        class PinMemory(Op):
            def forward(ctx, x):
                a = _pinned_empty(x.shape, x.dtype)
                a[...] = x
                return a

            def backward(ctx, g):
                return g

        _PinMemory = PinMemory
    return _PinMemory.apply(t)
