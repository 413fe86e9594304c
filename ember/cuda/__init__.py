"""ember.cuda: device queries backed by CuPy when a CUDA device is present.

Streams and events are in streams.py, the memory counters in memory.py, the random states in random.py
(the layout of torch.cuda)."""
import weakref

from .._device import _cupy
from .._device import device as _device


class _NoCudaError(AssertionError, RuntimeError):
    """What a CUDA query raises without CUDA: torch's CPU build raises AssertionError ('Torch not compiled
    with CUDA enabled') from its lazy init; being a RuntimeError too, it also meets `except RuntimeError`."""


def is_available():
    """Whether CuPy finds a CUDA device (finding it starts the counting of memory peaks: memory.py)."""
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
    _check_ordinal(idx)
    rt = _cupy().cuda.runtime
    prev = rt.getDevice()
    if prev != idx:
        rt.setDevice(idx)
    return prev


def _device_index(device):
    """The index of a CUDA device argument, checked; None or a negative index mean the current device."""
    idx = _index(device, optional=True)
    if idx < 0:
        return current_device()
    _check_ordinal(idx)
    return idx


def _check_ordinal(idx):
    """Raise torch's error unless `idx` names a CUDA device here."""
    n = device_count()
    if n == 0:
        _require()
    if not 0 <= idx < n:
        raise RuntimeError(f"CUDA error: invalid device ordinal (device {idx} requested, {n} available)")


def get_device_name(device=None):
    return get_device_properties(device).name


def get_device_capability(device=None):
    props = get_device_properties(device)
    return props.major, props.minor


class _CudaDeviceProperties:
    """What get_device_properties returns: the fields of CUDA's cudaDeviceProp that CuPy reports, under
    torch's names (name, major, minor, total_memory, multi_processor_count, uuid, L2_cache_size ...)."""

    _FIELDS = {"major": "major", "minor": "minor", "total_memory": "totalGlobalMem",
               "multi_processor_count": "multiProcessorCount", "is_integrated": "integrated",
               "is_multi_gpu_board": "isMultiGpuBoard",
               "max_threads_per_multi_processor": "maxThreadsPerMultiProcessor", "warp_size": "warpSize",
               "regs_per_multiprocessor": "regsPerMultiprocessor", "shared_memory_per_block": "sharedMemPerBlock",
               "shared_memory_per_block_optin": "sharedMemPerBlockOptin",
               "shared_memory_per_multiprocessor": "sharedMemPerMultiprocessor", "memory_bus_width": "memoryBusWidth",
               "memory_clock_rate": "memoryClockRate", "clock_rate": "clockRate", "pci_bus_id": "pciBusID",
               "pci_device_id": "pciDeviceID", "pci_domain_id": "pciDomainID", "L2_cache_size": "l2CacheSize"}

    def __init__(self, props):
        self.name = self.gcnArchName = props["name"].decode()       # torch's CUDA build reuses name for gcnArchName
        for ours, cudas in self._FIELDS.items():
            if cudas in props:
                setattr(self, ours, int(props[cudas]))
        if "uuid" in props:
            h = bytes(props["uuid"]).hex()
            self.uuid = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"

    def __repr__(self):
        mib = 1024 * 1024
        shown = [f"name='{self.name}'", f"major={self.major}", f"minor={self.minor}",
                 f"total_memory={self.total_memory // mib}MB", f"multi_processor_count={self.multi_processor_count}"]
        shown += [f"{k}={getattr(self, k)}" for k in ("uuid", "pci_bus_id", "pci_device_id", "pci_domain_id")
                  if hasattr(self, k)]
        if hasattr(self, "L2_cache_size"):
            shown.append(f"L2_cache_size={self.L2_cache_size // mib}MB")
        return f"_CudaDeviceProperties({', '.join(shown)})"


_properties = {}        # (CuPy module, device index) -> _CudaDeviceProperties (they do not change)


def get_device_properties(device=None):
    """Name, compute capability, memory size, multiprocessor count ... of `device` (default: the current one)."""
    _require()
    cp = _cupy()
    idx = _index(device, optional=True)
    if not 0 <= idx < device_count():
        raise AssertionError("Invalid device id")
    props = _properties.get((cp, idx))
    if props is None:
        props = _properties[(cp, idx)] = _CudaDeviceProperties(cp.cuda.runtime.getDeviceProperties(idx))
    return props


def is_bf16_supported(including_emulation=True):
    """torch's answer: True on compute capability 8.0 or newer; on older devices (with `including_emulation`)
    whether a bfloat16 tensor can be made there; False without CUDA."""
    if not is_available():
        return False
    idx = current_device()
    if get_device_properties(idx).major >= 8:
        return True
    return including_emulation and _makes_bf16_tensor(idx)


def _makes_bf16_tensor(idx):
    from .. import bfloat16, tensor
    try:
        tensor([1.0], dtype=bfloat16, device=_device("cuda", idx))
        return True
    except Exception:  # noqa: BLE001  (whatever the backend refuses)
        return False


def synchronize(device=None):
    cp = _cupy()
    if cp is not None:
        cp.cuda.Device(_index(device, optional=True)).synchronize()


def init():
    pass


def is_initialized():
    return is_available()


_NO_CUDA = ("ember found no usable CUDA device (install the 'ember[cuda]' extra (CuPy) on a machine with an "
            "NVIDIA GPU)")


def _require():
    if _cupy() is None:
        raise _NoCudaError(f"Torch not compiled with CUDA enabled: {_NO_CUDA}")


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


from . import memory, random, streams  # noqa: E402,F401  (they use the helpers above)
from .memory import (empty_cache, max_memory_allocated, max_memory_reserved, mem_get_info,  # noqa: E402,F401
                     memory_allocated, memory_reserved, memory_stats, memory_summary, reset_max_memory_allocated,
                     reset_peak_memory_stats)
from .random import (get_rng_state, get_rng_state_all, initial_seed, manual_seed, manual_seed_all,  # noqa: E402,F401
                     seed, seed_all, set_rng_state, set_rng_state_all)
from .streams import (Event, Stream, StreamContext, current_stream, default_stream, set_stream,  # noqa: E402,F401
                      stream)
