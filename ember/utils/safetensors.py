"""safetensors read/write (the format of the `safetensors` package), NumPy only.

Layout: 8-byte little-endian header length, a JSON header mapping each name to its dtype, shape
and byte range in the data section, then the data section."""
import json
import os
import struct

import numpy as _np

from .. import _dtypes
from .._device import CPU, resolve, transfer
from .._tensor import Tensor

__all__ = ["save_file", "load_file", "save", "load"]

_CODES = {_dtypes.float64: "F64", _dtypes.float32: "F32", _dtypes.float16: "F16", _dtypes.bfloat16: "BF16",
          _dtypes.int64: "I64", _dtypes.int32: "I32", _dtypes.int16: "I16", _dtypes.int8: "I8",
          _dtypes.uint8: "U8", _dtypes.bool: "BOOL", _dtypes.complex64: "C64"}
_FROM_CODE = {v: k for k, v in _CODES.items()}


def save(tensors, metadata=None):
    """The bytes of a safetensors file holding `tensors` (a dict of name -> Tensor)."""
    header = {}
    chunks = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name]
        if not isinstance(t, Tensor):
            raise TypeError(f"safetensors can only store tensors; '{name}' is {type(t).__name__}")
        arr = _np.ascontiguousarray(t._device.backend.asnumpy(t._data))
        raw = arr.tobytes()
        header[name] = {"dtype": _CODES[t.dtype], "shape": list(arr.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    return struct.pack("<Q", len(head)) + head + b"".join(chunks)


def save_file(tensors, filename, metadata=None):
    """Write a safetensors file atomically."""
    data = save(tensors, metadata)
    tmp = f"{filename}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, filename)


def load(data, device="cpu"):
    """Tensors from the bytes of a safetensors file."""
    return _parse(memoryview(data), device)


def load_file(filename, device="cpu"):
    with open(filename, "rb") as f:
        return _parse(memoryview(f.read()), device)


def _parse(buf, device):
    if len(buf) < 8:
        raise ValueError("not a safetensors file: shorter than its header length field")
    (n,) = struct.unpack("<Q", buf[:8])
    if n > len(buf) - 8:
        raise ValueError("not a safetensors file: header length exceeds file size")
    header = json.loads(bytes(buf[8:8 + n]))
    base = 8 + n
    dev = resolve(device)
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = _FROM_CODE.get(info["dtype"])
        if dtype is None:
            raise ValueError(f"unsupported safetensors dtype {info['dtype']} for '{name}'")
        start, end = info["data_offsets"]
        shape = tuple(info["shape"])
        count = 1
        for s in shape:
            count *= s
        if end - start != count * dtype.itemsize or base + end > len(buf):
            raise ValueError(f"corrupt safetensors file: bad byte range for '{name}'")
        arr = _np.frombuffer(buf[base + start:base + end], dtype=dtype.np).reshape(shape).copy()
        out[name] = Tensor._wrap(arr if dev is CPU else transfer(arr, CPU, dev), dev)
    return out
