"""A small reader for MATLAB level-5 .mat files (SVHN, SBD and the ImageNet devkit ship them).

`loadmat(path)` returns what `scipy.io.loadmat(path)` returns with its defaults, so dataset code reads
the same either way: numeric arrays keep the type they were stored with and their MATLAB shape
(at least 2-D, column-major data); char arrays become arrays of str (one per row); cell arrays are
object arrays; struct arrays are structured arrays whose fields hold objects; sparse matrices come
back as `SparseMatrix` (with `.toarray()`, `.shape`). MATLAB 7.3 (HDF5) files are not supported.
"""
import struct
import zlib

import numpy as np

_MI_MATRIX, _MI_COMPRESSED, _MI_UTF8 = 14, 15, 16
_MI_DTYPES = {1: "i1", 2: "u1", 3: "i2", 4: "u2", 5: "i4", 6: "u4", 7: "f4", 9: "f8", 12: "i8", 13: "u8",
              16: "u1", 17: "u2", 18: "u4"}
_MX_CELL, _MX_STRUCT, _MX_OBJECT, _MX_CHAR, _MX_SPARSE = 1, 2, 3, 4, 5


class SparseMatrix:
    """Compressed-column sparse matrix as stored by MATLAB; `toarray()` gives the dense NumPy array."""

    def __init__(self, shape, rows, colptr, values):
        self.shape = tuple(int(s) for s in shape)
        self.indices, self.indptr, self.data = rows, colptr, values

    @property
    def nnz(self):
        return len(self.data)

    def toarray(self):
        out = np.zeros(self.shape, dtype=self.data.dtype)
        cols = np.repeat(np.arange(self.shape[1]), np.diff(self.indptr))
        out[self.indices, cols] = self.data
        return out

    def __repr__(self):
        return f"<{self.shape[0]}x{self.shape[1]} sparse matrix of type '{self.data.dtype}' with {self.nnz} stored elements>"


def loadmat(path):
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 128 or raw[:4] == b"\0\0\0\0":
        raise ValueError(f"{path}: not a MATLAB 5 .mat file (MATLAB 4 files are not supported)")
    if raw[:10] == b"MATLAB 7.3":
        raise ValueError(f"{path}: MATLAB 7.3 (HDF5) files are not supported; install scipy/h5py to read them")
    order = {b"IM": "<", b"MI": ">"}.get(raw[126:128])
    if order is None:
        raise ValueError(f"{path}: not a MATLAB 5 .mat file (bad endian indicator)")
    result = {"__header__": raw[:116].rstrip(b" \0"), "__version__": "1.0", "__globals__": []}
    reader = _Reader(order)
    pos = 128
    while pos + 8 <= len(raw):
        kind, data, pos = reader.tag(raw, pos)
        if kind == _MI_COMPRESSED:
            kind, data, _ = reader.tag(zlib.decompress(data), 0)
        if kind == _MI_MATRIX:
            name, value = reader.matrix(data)
            result[name] = value
    return result


class _Reader:
    def __init__(self, order):
        self.order = order

    def tag(self, buf, pos):
        """(data type, payload bytes, position of the next element) for the element at `pos`."""
        first, = struct.unpack_from(self.order + "I", buf, pos)
        if first >> 16:  # small element: size and type share one word, payload in the next 4 bytes
            size = first >> 16
            return first & 0xFFFF, buf[pos + 4:pos + 4 + size], pos + 8
        size, = struct.unpack_from(self.order + "I", buf, pos + 4)
        end = pos + 8 + size
        return first, buf[pos + 8:end], end if first == _MI_COMPRESSED else end + (-size) % 8

    def numbers(self, kind, payload):
        return np.frombuffer(payload, dtype=np.dtype(self.order + _MI_DTYPES[kind])).astype(_MI_DTYPES[kind])

    def matrix(self, data):
        if not data:  # an empty cell element
            return "", np.empty((0, 0))
        _, flags, pos = self.tag(data, 0)
        word, _ = struct.unpack(self.order + "II", flags[:8])
        cls, is_complex = word & 0xFF, bool(word & 0x800)
        kind, dims, pos = self.tag(data, pos)
        dims = tuple(int(d) for d in self.numbers(kind, dims))
        _, name, pos = self.tag(data, pos)
        name = name.decode("latin1")
        count = int(np.prod(dims))
        if cls == _MX_CELL:
            items = np.empty(count, dtype=object)
            for i in range(count):
                _, sub, pos = self.tag(data, pos)
                items[i] = self.matrix(sub)[1]
            return name, items.reshape(dims, order="F")
        if cls in (_MX_STRUCT, _MX_OBJECT):
            if cls == _MX_OBJECT:
                _, _, pos = self.tag(data, pos)  # the class name
            kind, width, pos = self.tag(data, pos)
            width = int(self.numbers(kind, width)[0])
            _, names, pos = self.tag(data, pos)
            fields = [names[i:i + width].split(b"\0")[0].decode("latin1") for i in range(0, len(names), width)]
            records = np.empty(count, dtype=[(f, object) for f in fields])
            for i in range(count):
                for f in fields:
                    _, sub, pos = self.tag(data, pos)
                    records[f][i] = self.matrix(sub)[1]
            return name, records.reshape(dims, order="F")
        if cls == _MX_CHAR:
            kind, payload, pos = self.tag(data, pos)
            if kind == _MI_UTF8:
                chars = list(payload.decode("utf-8"))
            else:
                chars = [chr(c) for c in self.numbers(kind, payload)]
            if count == 0:
                return name, np.empty(dims[:-1], dtype="U1")
            grid = np.array(chars, dtype="U1").reshape(dims, order="F")
            rows = ["".join(r) for r in grid.reshape(-1, dims[-1])]
            return name, np.array(rows).reshape(dims[:-1])
        if cls == _MX_SPARSE:
            kind, rows, pos = self.tag(data, pos)
            rows = self.numbers(kind, rows)
            kind, colptr, pos = self.tag(data, pos)
            colptr = self.numbers(kind, colptr)
            kind, values, pos = self.tag(data, pos)
            values = self.numbers(kind, values)
            if is_complex:
                kind, imag, pos = self.tag(data, pos)
                values = values + 1j * self.numbers(kind, imag)
            nnz = int(colptr[-1]) if len(colptr) else 0
            return name, SparseMatrix(dims, rows[:nnz], colptr, values[:nnz])
        kind, payload, pos = self.tag(data, pos)  # numeric (or logical) array
        values = self.numbers(kind, payload)
        if is_complex:
            kind, imag, pos = self.tag(data, pos)
            values = values + 1j * self.numbers(kind, imag)
        return name, values.reshape(dims, order="F")
