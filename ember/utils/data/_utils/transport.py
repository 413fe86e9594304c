"""Moving worker batches to the main process through shared memory instead of the pipe.

The worker copies every sizeable tensor of a batch into one file in /dev/shm and sends only
(offset, shape, dtype) references; the main process maps the file, unlinks it at once, and wraps
views of the mapping as tensors (the mapping lives as long as any of them)."""
import collections.abc
import mmap
import os
import tempfile

import numpy as _np

from ...._tensor import Tensor

_MIN_BYTES = 4096
_ALIGN = 64
_SHM_DIR = "/dev/shm" if os.path.isdir("/dev/shm") else None


class _Ref:
    __slots__ = ("offset", "shape", "dtype", "requires_grad")

    def __init__(self, offset, shape, dtype, requires_grad):
        self.offset, self.shape, self.dtype, self.requires_grad = offset, shape, dtype, requires_grad


def _walk(obj, fn):
    """obj with every Tensor t replaced by fn(t) inside lists, tuples, namedtuples and dicts."""
    if isinstance(obj, (Tensor, _Ref)):
        return fn(obj)
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(_walk(o, fn) for o in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(_walk(o, fn) for o in obj)
    if isinstance(obj, collections.abc.Mapping):
        try:
            return type(obj)({k: _walk(v, fn) for k, v in obj.items()})
        except TypeError:
            return {k: _walk(v, fn) for k, v in obj.items()}
    return obj


def pack(obj):
    """(structure, path): large cpu tensors of obj moved into one shared-memory file."""
    big = []

    def collect(t):
        if isinstance(t, Tensor) and t._device.type == "cpu" and t._data.nbytes >= _MIN_BYTES:
            big.append(t)
        return t
    _walk(obj, collect)
    if not big:
        return obj, None
    offsets = {}
    total = 0
    for t in big:
        if id(t) not in offsets:
            offsets[id(t)] = total
            total += -(-t._data.nbytes // _ALIGN) * _ALIGN
    fd, path = tempfile.mkstemp(prefix="ember-batch-", dir=_SHM_DIR)
    try:
        os.ftruncate(fd, total)
        with mmap.mmap(fd, total) as mm:
            buf = _np.frombuffer(mm, dtype=_np.uint8)
            for t in big:
                off = offsets[id(t)]
                a = _np.ascontiguousarray(t._data)
                buf[off:off + a.nbytes] = a.reshape(-1).view(_np.uint8)
            del buf
    except BaseException:
        os.unlink(path)
        raise
    finally:
        os.close(fd)

    def ref(t):
        if id(t) in offsets:
            return _Ref(offsets[id(t)], t._data.shape, t._data.dtype.str if t._data.dtype.kind != "V" else "bfloat16",
                        t._rg)
        return t
    return _walk(obj, ref), path


def unpack(obj, path):
    """Inverse of pack, in the receiving process (removes the file)."""
    if path is None:
        return obj
    with open(path, "r+b") as f:
        size = os.fstat(f.fileno()).st_size
        mm = mmap.mmap(f.fileno(), size)
    os.unlink(path)
    from .... import bfloat16

    def tensor(r):
        if not isinstance(r, _Ref):
            return r
        dt = bfloat16.np if r.dtype == "bfloat16" else _np.dtype(r.dtype)
        count = 1
        for s in r.shape:
            count *= s
        arr = _np.frombuffer(mm, dtype=dt, count=count, offset=r.offset).reshape(r.shape)
        t = Tensor._wrap(arr)
        if r.requires_grad:
            t.requires_grad = True
        return t
    return _walk(obj, tensor)


def discard(path):
    if path is not None:
        try:
            os.unlink(path)
        except OSError:
            pass
