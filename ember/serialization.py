"""save/load in PyTorch's file format, without torch installed.

Writing produces PyTorch's zip format: `archive/data.pkl` (pickle protocol 2 whose tensors are
persistent references to storages), one uncompressed record per storage aligned to 64 bytes,
plus `byteorder`, `version`, `.format_version`, `.storage_alignment` and `.data/serialization_id`.
Pickled references name torch's own globals (`torch._utils._rebuild_tensor_v2`,
`torch.FloatStorage` ...) so `torch.load(path)` (weights_only=True) reads ember files.

Reading accepts that format and the legacy (pre-1.6) pickle stream, maps torch's globals to
ember's, and by default (weights_only=True) admits only tensors, containers, primitive types and
an allow-list: a file that tries to call anything else is refused with the offending name.
"""
import collections
import contextlib
import io
import os
import pickle
import struct
import sys
import tempfile
import zipfile

import numpy as _np

from . import _dtypes
from ._device import CPU, resolve, transfer
from ._tensor import Tensor, Size
from .storage import root_array

__all__ = ["save", "load", "add_safe_globals", "safe_globals", "get_safe_globals", "clear_safe_globals",
           "SourceChangeWarning"]

_MAGIC = 0x1950A86A20F9469CFC6C
_LEGACY_PROTOCOL = 1001
_ALIGN = 64

# storage class name in torch <-> ember dtype
_STORAGE_NAMES = {
    _dtypes.float32: "FloatStorage", _dtypes.float64: "DoubleStorage", _dtypes.float16: "HalfStorage",
    _dtypes.bfloat16: "BFloat16Storage", _dtypes.int64: "LongStorage", _dtypes.int32: "IntStorage",
    _dtypes.int16: "ShortStorage", _dtypes.int8: "CharStorage", _dtypes.uint8: "ByteStorage",
    _dtypes.bool: "BoolStorage", _dtypes.complex64: "ComplexFloatStorage",
    _dtypes.complex128: "ComplexDoubleStorage",
}
_DTYPE_OF_STORAGE = {v: k for k, v in _STORAGE_NAMES.items()}


class SourceChangeWarning(Warning):
    pass


# ---- stand-ins for torch's globals -------------------------------------------------------------
class _TorchGlobal:
    """A value that pickles as the global `module.name` of torch (written without importing torch)."""

    def __init__(self, module, name):
        self.module, self.name = module, name

    def __repr__(self):
        return f"{self.module}.{self.name}"

    def __call__(self, *args):   # pickle requires reduce functions to be callable
        raise TypeError(f"{self!r} is a reference written into files, not a function")


_REBUILD_TENSOR = _TorchGlobal("torch._utils", "_rebuild_tensor_v2")
_REBUILD_PARAMETER = _TorchGlobal("torch._utils", "_rebuild_parameter")
_TORCH_SIZE = _TorchGlobal("torch", "Size")
_TORCH_DEVICE = _TorchGlobal("torch", "device")
_STORAGE_GLOBALS = {d: _TorchGlobal("torch", n) for d, n in _STORAGE_NAMES.items()}
_DTYPE_GLOBALS = {d: _TorchGlobal("torch", d.name) for d in _dtypes.ALL}


class _StorageRef:
    """The storage of one or more tensors, as written to `data/<key>`."""

    def __init__(self, key, array, dtype, location="cpu"):
        self.key, self.array, self.dtype, self.location = key, array, dtype, location


class _Pickler(pickle._Pickler):
    """Protocol-2 pickler that writes ember tensors the way torch.save writes torch tensors."""

    def __init__(self, file, storages):
        super().__init__(file, protocol=2)
        self.storages = storages   # id(root array) -> _StorageRef
        self.keep = []             # keep roots alive so ids stay unique while pickling

    def persistent_id(self, obj):
        if isinstance(obj, _StorageRef):
            return ("storage", _STORAGE_GLOBALS[obj.dtype], obj.key, obj.location, obj.array.size)
        return None

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            return self._reduce_tensor(obj)
        if isinstance(obj, Size):
            return (_TORCH_SIZE, (tuple(obj),))
        if type(obj).__name__ == "device" and type(obj).__module__ == "ember._device":
            return (_TORCH_DEVICE, (str(obj),))
        return NotImplemented

    def save_global(self, obj, name=None):
        if isinstance(obj, _TorchGlobal):
            self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())
            self.memoize(obj)
            return
        super().save_global(obj, name)

    def save(self, obj, save_persistent_id=True):
        if isinstance(obj, _dtypes.dtype):
            obj = _DTYPE_GLOBALS[obj]
        elif isinstance(obj, _np.generic):
            obj = obj.item()        # torch's weights_only loader refuses NumPy scalars
        if isinstance(obj, _TorchGlobal):
            memo = self.memo.get(id(obj))
            if memo is not None:
                self.write(self.get(memo[0]))
                return
            return self.save_global(obj)
        return super().save(obj, save_persistent_id)

    def _reduce_tensor(self, t):
        if t._device is CPU:
            ref, offset, stride = self._storage_of(t._data)
        else:       # a host copy, saved under the tensor's device as its location (torch.load puts it back)
            ref, offset, stride = self._storage_of(t._device.backend.asnumpy(t._data), str(t._device))
        shape = tuple(t._data.shape)
        rg = bool(t._rg)
        args = (ref, offset, shape, stride, rg if not t._is_param else False, collections.OrderedDict())
        if t._is_param:
            inner = _PlainTensor(ref, offset, shape, stride)
            return (_REBUILD_PARAMETER, (inner, rg, collections.OrderedDict()))
        return (_REBUILD_TENSOR, args)

    def _storage_of(self, arr, location="cpu"):
        """(storage ref, element offset, element strides) for arr, sharing storages between views."""
        root = root_array(arr)
        isz = arr.itemsize
        usable = (root.dtype == arr.dtype and root.flags.c_contiguous and
                  all(s >= 0 and s % isz == 0 for s in arr.strides))
        if usable:
            offset_bytes = arr.__array_interface__["data"][0] - root.__array_interface__["data"][0]
            usable = offset_bytes % isz == 0
        if not usable:
            root = _np.ascontiguousarray(arr)
            offset_bytes = 0
        ref = self.storages.get(id(root))
        if ref is None:
            ref = _StorageRef(str(len(self.storages)), root.reshape(-1), _dtypes.from_np(root.dtype), location)
            self.storages[id(root)] = ref
            self.keep.append(root)
        if arr is not root and not usable:
            pass
        stride = tuple(s // isz for s in arr.strides) if usable else _contig_strides(arr.shape)
        if arr.size <= 1:
            stride = _contig_strides(arr.shape)
        return ref, offset_bytes // isz, stride


class _PlainTensor:
    """A tensor argument of _rebuild_parameter (pickled via _rebuild_tensor_v2)."""

    def __init__(self, ref, offset, shape, stride):
        self.args = (ref, offset, shape, stride, False, collections.OrderedDict())

    def __reduce__(self):
        return (_REBUILD_TENSOR, self.args)


def _contig_strides(shape):
    st, acc = [], 1
    for s in reversed(shape):
        st.append(acc)
        acc *= max(s, 1)
    return tuple(reversed(st))


# ---- save ---------------------------------------------------------------------------------------
def save(obj, f, pickle_module=pickle, pickle_protocol=2, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False):
    """Write obj in PyTorch's zip format. A path is written atomically (temp file + rename)."""
    if not _use_new_zipfile_serialization:
        raise NotImplementedError("ember writes only the zip-based format (the default since PyTorch 1.6)")
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        directory = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(prefix=".ember-save-", dir=directory)
        try:
            with os.fdopen(fd, "wb") as fh:
                _write_zip(obj, fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    else:
        _write_zip(obj, f)


def _write_zip(obj, fh):
    storages = {}
    buf = io.BytesIO()
    _Pickler(buf, storages).dump(obj)
    name = "archive"
    out = _AlignedZip(fh)
    out.add(f"{name}/data.pkl", buf.getvalue())
    out.add(f"{name}/.format_version", b"1")
    out.add(f"{name}/.storage_alignment", str(_ALIGN).encode())
    out.add(f"{name}/byteorder", sys.byteorder.encode())
    for ref in sorted(storages.values(), key=lambda r: int(r.key)):
        out.add(f"{name}/data/{ref.key}", _np.ascontiguousarray(ref.array).view(_np.uint8).data)
    out.add(f"{name}/version", b"3\n")
    out.add(f"{name}/.data/serialization_id", str(int.from_bytes(os.urandom(16), "little")).zfill(40)[:40].encode())
    out.close()


class _AlignedZip:
    """A stored (uncompressed) zip whose record payloads start at multiples of 64 bytes."""

    def __init__(self, fh):
        self.fh = fh
        self.start = fh.tell() if fh.seekable() else 0
        self.zf = zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED, allowZip64=True)

    def add(self, name, data):
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_STORED
        pos = self.zf.fp.tell() - self.start if hasattr(self.zf, "fp") else 0
        header = 30 + len(name.encode())
        pad = (-(pos + header + 4)) % _ALIGN
        info.extra = struct.pack("<HH", 0x4246, pad) + b"Z" * pad   # 'FB' padding block
        with self.zf.open(info, "w", force_zip64=len(data) >= 0xFFFFFFFF) as w:
            w.write(data)

    def close(self):
        self.zf.close()


# ---- safe globals ------------------------------------------------------------------------------
_user_safe = {}


def add_safe_globals(safe_globals):
    """Allow these classes/functions in weights_only loads (or (obj, "module.name") pairs)."""
    for g in safe_globals:
        if isinstance(g, tuple):
            obj, name = g
        else:
            obj, name = g, f"{g.__module__}.{g.__qualname__}"
        _user_safe[name] = obj


def get_safe_globals():
    return list(_user_safe.values())


def clear_safe_globals():
    _user_safe.clear()


@contextlib.contextmanager
def safe_globals(safe_globals):
    saved = dict(_user_safe)
    add_safe_globals(safe_globals)
    try:
        yield
    finally:
        _user_safe.clear()
        _user_safe.update(saved)


# ---- load ---------------------------------------------------------------------------------------
class _StorageType:
    def __init__(self, dtype):
        self.dtype = dtype


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None,
                       metadata=None):
    arr, dev = storage
    size, stride = tuple(size), tuple(stride)
    n = arr.size
    if storage_offset < 0 or any(s < 0 for s in size) or any(s < 0 for s in stride):
        raise RuntimeError("corrupt file: negative tensor size, stride or offset")
    if all(s > 0 for s in size):
        last = storage_offset + sum((s - 1) * st for s, st in zip(size, stride))
        if last >= n:
            raise RuntimeError(
                f"corrupt file: a tensor of size {list(size)} and stride {list(stride)} at offset {storage_offset} "
                f"reads past its storage of {n} elements")
    isz = arr.itemsize
    view = _np.lib.stride_tricks.as_strided(arr[storage_offset:] if n else arr, shape=size,
                                            strides=tuple(s * isz for s in stride), writeable=arr.flags.writeable)
    if dev is not CPU:
        view = transfer(view, CPU, dev)
    t = Tensor._wrap(view, dev)
    if requires_grad:
        t.requires_grad = True
    return t


def _rebuild_parameter(data, requires_grad, backward_hooks=None, state=None):
    from .nn.parameter import Parameter
    return Parameter(data, requires_grad)


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    return _rebuild_parameter(data, requires_grad)


def _rebuild_from_type_v2(func, new_type, args, state):
    return func(*args)


def _torch_device(s, index=None):
    from ._device import device
    return device(s, index) if index is not None else device(s)


def _dtype_getter(name):
    return _dtypes._BY_NAME[name]


def _codecs_encode(s, encoding="latin1"):
    import codecs
    return codecs.encode(s, encoding)


def _safe_table():
    table = {
        ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
        ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
        ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter_with_state,
        ("torch._tensor", "_rebuild_from_type_v2"): _rebuild_from_type_v2,
        ("torch", "Size"): Size,
        ("torch", "device"): _torch_device,
        ("torch", "Tensor"): Tensor,
        ("torch.nn.parameter", "Parameter"): None,  # resolved lazily
        ("collections", "OrderedDict"): collections.OrderedDict,
        ("_codecs", "encode"): _codecs_encode,
        ("builtins", "set"): set,
        ("builtins", "frozenset"): frozenset,
        ("builtins", "bytearray"): bytearray,
        ("builtins", "complex"): complex,
        ("builtins", "slice"): slice,
        ("builtins", "range"): range,
    }
    for name, d in _DTYPE_OF_STORAGE.items():
        table[("torch", name)] = _StorageType(d)
    for d in _dtypes.ALL:
        table[("torch", d.name)] = d
    for alias in ("float", "double", "half", "long", "int", "short", "cfloat", "cdouble"):
        table[("torch", alias)] = _dtypes._BY_NAME[alias]
    table[("torch", "UntypedStorage")] = _StorageType(_dtypes.uint8)
    return table


_SAFE = None


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, load_storage, weights_only, extra=None):
        super().__init__(file, encoding="utf-8")
        self.load_storage = load_storage
        self.weights_only = weights_only

    def find_class(self, module, name):
        global _SAFE
        if _SAFE is None:
            _SAFE = _safe_table()
        key = (module, name)
        if key in _SAFE:
            v = _SAFE[key]
            if v is None:
                from .nn.parameter import Parameter
                v = Parameter
            return v
        full = name if module in ("builtins", "__builtin__") else f"{module}.{name}"
        if full in _user_safe or f"{module}.{name}" in _user_safe:
            return _user_safe.get(full) or _user_safe[f"{module}.{name}"]
        if full in _user_safe:
            return _user_safe[full]
        if self.weights_only:
            raise pickle.UnpicklingError(_weights_only_message(full))
        return super().find_class(*_ember_name(module, name))

    def persistent_load(self, pid):
        if not isinstance(pid, tuple) or not pid or pid[0] != "storage":
            raise pickle.UnpicklingError(f"corrupt file: unknown persistent id {pid!r}")
        return self.load_storage(pid)


def _ember_name(module, name):
    """Where a torch/torchvision global lives in ember (for weights_only=False loads)."""
    for prefix, repl in (("torchvision", "ember.vision"), ("torch", "ember")):
        if module == prefix or module.startswith(prefix + "."):
            return repl + module[len(prefix):], name
    return module, name


def _weights_only_message(full):
    short = full.rsplit(".", 1)[-1]
    return ("Weights only load failed. This file can still be loaded, to do so you have two options, do those "
            "steps only if you trust the source of the checkpoint.\n\t(1) Re-running `ember.load` with "
            "`weights_only` set to `False` will likely succeed, but it can result in arbitrary code execution. "
            "Do it only if you got the file from a trusted source.\n\t(2) Alternatively, to load with "
            "`weights_only=True` please check the recommended steps in the following error message.\n\t"
            f"WeightsUnpickler error: Unsupported global: GLOBAL {full} was not an allowed global by default. "
            f"Please use `ember.serialization.add_safe_globals([{short}])` or the "
            f"`ember.serialization.safe_globals([{short}])` context manager to allowlist this global if you "
            "trust this class/function.")


def _device_for(loc):
    try:
        return resolve(loc if not isinstance(loc, str) else loc)
    except RuntimeError:
        if str(loc).startswith("cuda"):
            raise RuntimeError(
                "Attempting to deserialize object on a CUDA device but ember.cuda.is_available() is False. If "
                "you are running on a CPU-only machine, please use ember.load with "
                "map_location=ember.device('cpu') to map your storages to the CPU.") from None
        raise


def _place(arr, location, map_location):
    """(host array, device) for a storage saved at `location`, following map_location; the tensors
    viewing it are built on the host and then moved (see _rebuild_tensor_v2)."""
    if map_location is None:
        loc = location
    elif isinstance(map_location, dict):
        loc = map_location.get(location, location)
    elif callable(map_location) and not isinstance(map_location, str) and type(map_location).__name__ != "device":
        r = map_location(Tensor._wrap(arr, CPU), location)
        if isinstance(r, Tensor):
            return r._device.backend.asnumpy(r._data), r._device
        loc = "cpu"
    else:
        loc = map_location
    return arr, _device_for(loc)


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None, **pickle_load_args):
    """Read a file written by torch.save or ember.save (zip or legacy format)."""
    if weights_only is None:
        weights_only = True
    own = isinstance(f, (str, os.PathLike))
    if own:
        path = os.fspath(f)
        fh = open(path, "rb")
    else:
        path, fh = None, f
    try:
        try:
            head = fh.read(4)
            fh.seek(-len(head), 1)
        except (OSError, AttributeError) as e:
            raise RuntimeError(f"ember.load needs a seekable file: {e}") from None
        if head[:2] == b"PK":
            return _load_zip(fh, path, map_location, weights_only, mmap)
        if mmap:
            raise RuntimeError("mmap can only be used with files saved with `torch.save(_use_new_zipfile_serialization=True)`")
        return _load_legacy(fh, map_location, weights_only)
    except (zipfile.BadZipFile, EOFError, struct.error, pickle.UnpicklingError, KeyError, ValueError) as e:
        if isinstance(e, pickle.UnpicklingError) and str(e).startswith("Weights only load failed"):
            raise
        name = path or getattr(f, "name", "<file object>")
        raise RuntimeError(f"ember.load: '{name}' is not a valid PyTorch/ember checkpoint or is truncated/corrupt "
                           f"({type(e).__name__}: {e})") from e
    finally:
        if own:
            fh.close()


def _load_zip(fh, path, map_location, weights_only, mmap):
    zf = zipfile.ZipFile(fh)
    names = zf.namelist()
    pkl = [n for n in names if n.endswith("/data.pkl") or n == "data.pkl"]
    if not pkl:
        raise RuntimeError("ember.load: the archive has no data.pkl record (not a PyTorch checkpoint)")
    prefix = pkl[0][: -len("data.pkl")]
    order = sys.byteorder
    if f"{prefix}byteorder" in names:
        order = zf.read(f"{prefix}byteorder").decode()
    mm = None
    if mmap:
        if path is None:
            raise ValueError("f must be a file path in order to use the mmap argument")
        mm = _np.memmap(path, dtype=_np.uint8, mode="r")
    loaded = {}

    def load_storage(pid):
        _, stype, key, location, numel = pid[:5]
        if key in loaded:
            return loaded[key]
        dtype = stype.dtype if isinstance(stype, _StorageType) else _dtypes.uint8
        rec = f"{prefix}data/{key}"
        info = zf.getinfo(rec)
        nd = dtype.np.newbyteorder("<" if order == "little" else ">")
        if mm is not None and info.compress_type == zipfile.ZIP_STORED:
            start = _payload_offset(fh, info)
            raw = mm[start:start + info.file_size]
            arr = raw.view(nd)
        else:
            raw = zf.read(rec)
            arr = _np.frombuffer(raw, dtype=nd).copy()
        if nd.byteorder not in ("=", "|") and nd.byteorder != ("<" if sys.byteorder == "little" else ">"):
            arr = arr.astype(dtype.np)
        arr = _dtypes.with_canonical_dtype(arr)
        if arr.size < numel:
            raise RuntimeError(f"corrupt file: storage {key} holds {arr.size} elements, expected {numel}")
        arr, dev = _place(arr, location, map_location)
        loaded[key] = (arr, dev)
        return loaded[key]

    with zf.open(pkl[0]) as p:
        data = io.BytesIO(p.read())
    return _Unpickler(data, load_storage, weights_only).load()


def _payload_offset(fh, info):
    fh.seek(info.header_offset)
    h = fh.read(30)
    if h[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile("bad local header")
    n, m = struct.unpack("<HH", h[26:30])
    return info.header_offset + 30 + n + m


def _load_legacy(fh, map_location, weights_only):
    """The pre-1.6 format: pickled magic, protocol, sys_info, object, storage keys, raw storages.

    The storages' bytes follow the object's pickle, so a first pass over the pickle (which calls
    nothing: every global is a dummy) learns each storage's dtype; the bytes are then located and
    the pickle is loaded for real."""
    if pickle.load(fh) != _MAGIC:
        raise RuntimeError("Invalid magic number; corrupt file?")
    if pickle.load(fh) != _LEGACY_PROTOCOL:
        raise RuntimeError("Invalid protocol version in legacy checkpoint")
    _Inert(fh).load()   # sys_info
    start = fh.tell()
    scan = _Inert(fh)
    scan.load()
    keys = _Inert(fh).load()
    where = {}
    for key in keys:
        (n,) = struct.unpack("<q", fh.read(8))
        where[key] = (fh.tell(), n)
        fh.seek(n * scan.dtypes[key].itemsize, 1)
    end = fh.tell()
    loaded = {}

    def load_storage(pid):
        _, stype, key, location, numel = pid[:5]
        if key not in loaded:
            dtype = scan.dtypes[key]
            pos, n = where[key]
            fh.seek(pos)
            data = fh.read(n * dtype.itemsize)
            if len(data) != n * dtype.itemsize:
                raise EOFError("truncated legacy checkpoint")
            loaded[key] = _place(_np.frombuffer(data, dtype=dtype.np).copy(), location, map_location)
        return loaded[key]

    fh.seek(start)
    obj = _Unpickler(fh, load_storage, weights_only).load()
    fh.seek(end)
    return obj


class _Dummy:
    def __init__(self, *a, **k):
        pass

    def __call__(self, *a, **k):
        return _Dummy()

    def __setstate__(self, state):
        pass


class _Inert(pickle.Unpickler):
    """Parses a pickle without calling anything; records storage dtypes by key."""

    def __init__(self, fh):
        super().__init__(fh, encoding="utf-8")
        self.dtypes = {}

    def find_class(self, module, name):
        if module == "torch" and name in _DTYPE_OF_STORAGE:
            return _StorageType(_DTYPE_OF_STORAGE[name])
        return _Dummy

    def persistent_load(self, pid):
        stype = pid[1]
        self.dtypes[pid[2]] = stype.dtype if isinstance(stype, _StorageType) else _dtypes.uint8
        return _Dummy()


# ---- plain pickling (deepcopy, multiprocessing) --------------------------------------------------
def _rebuild_plain(array, requires_grad, is_param, device="cpu"):
    t = Tensor._wrap(_dtypes.with_canonical_dtype(array), CPU)
    if device != "cpu":
        t = t.to(device)
    if is_param:
        from .nn.parameter import Parameter
        return Parameter(t, requires_grad)
    if requires_grad:
        t.requires_grad = True
    return t


def _reduce_tensor(t):
    arr = _np.ascontiguousarray(t._device.backend.asnumpy(t._data))
    return (_rebuild_plain, (arr, t._rg, t._is_param, str(t._device)))
