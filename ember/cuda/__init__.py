"""ember.cuda: device queries backed by CuPy when a CUDA device is present."""
import weakref

from .._device import _cupy


def is_available():
    return _cupy() is not None


def device_count():
    cp = _cupy()
    return cp.cuda.runtime.getDeviceCount() if cp is not None else 0


def current_device():
    _require()
    return _cupy().cuda.runtime.getDevice()


def set_device(device):
    from .._device import device as _d
    d = _d(device) if not isinstance(device, int) else _d("cuda", device)
    if d.type != "cuda":
        return
    _require()
    _cupy().cuda.runtime.setDevice(d.index or 0)


def get_device_name(device=None):
    _require()
    cp = _cupy()
    idx = 0 if device is None else (device if isinstance(device, int) else (getattr(device, "index", 0) or 0))
    return cp.cuda.runtime.getDeviceProperties(idx)["name"].decode()


def get_device_capability(device=None):
    _require()
    cp = _cupy()
    props = cp.cuda.runtime.getDeviceProperties(0 if device is None else int(getattr(device, "index", device) or 0))
    return props["major"], props["minor"]


def synchronize(device=None):
    cp = _cupy()
    if cp is not None:
        cp.cuda.Device().synchronize()


def empty_cache():
    cp = _cupy()
    if cp is not None:
        cp.get_default_memory_pool().free_all_blocks()


def memory_allocated(device=None):
    cp = _cupy()
    return cp.get_default_memory_pool().used_bytes() if cp is not None else 0


def max_memory_allocated(device=None):
    cp = _cupy()
    return cp.get_default_memory_pool().total_bytes() if cp is not None else 0


def memory_reserved(device=None):
    cp = _cupy()
    return cp.get_default_memory_pool().total_bytes() if cp is not None else 0


def manual_seed(seed):
    cp = _cupy()
    if cp is not None:
        cp.random.seed(int(seed) & 0xFFFFFFFF)


manual_seed_all = manual_seed


def init():
    pass


def is_initialized():
    return is_available()


def _require():
    if _cupy() is None:
        raise RuntimeError("Torch not compiled with CUDA enabled: ember found no usable CUDA device "
                           "(install the 'ember[cuda]' extra (CuPy) on a machine with an NVIDIA GPU)")


class device:
    """Context manager selecting the current CUDA device."""

    def __init__(self, device):
        self.idx = device if isinstance(device, int) else (getattr(device, "index", 0) or 0)

    def __enter__(self):
        if is_available():
            self.prev = current_device()
            set_device(self.idx)

    def __exit__(self, *a):
        if is_available():
            set_device(self.prev)


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
