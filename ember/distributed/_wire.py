"""Framing on TCP sockets: length-prefixed pickled headers, NumPy arrays as raw bytes."""
import pickle
import struct

import numpy as np

_LEN = struct.Struct("!Q")


def recv_exact(sock, n):
    """Read exactly `n` bytes, raising ConnectionError when the peer hangs up first."""
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = sock.recv_into(view[got:], n - got)
        if k == 0:
            raise ConnectionError("connection closed by peer")
        got += k
    return buf


def send_obj(sock, obj, payload=b""):
    """Send a picklable header, then an optional raw payload whose length the header frame carries."""
    head = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    sock.sendall(_LEN.pack(len(head)) + head + _LEN.pack(len(payload)))
    if len(payload):
        sock.sendall(payload)


def recv_obj(sock):
    """The (header, payload bytes) pair that send_obj wrote."""
    (n,) = _LEN.unpack(recv_exact(sock, _LEN.size))
    head = pickle.loads(recv_exact(sock, n))
    (m,) = _LEN.unpack(recv_exact(sock, _LEN.size))
    return head, (recv_exact(sock, m) if m else b"")


def array_meta(a):
    """What the receiver needs to rebuild `a` from its bytes: dtype string and shape."""
    return a.dtype.str if a.dtype.kind != "V" else a.dtype.name, a.shape


def array_bytes(a):
    return memoryview(np.ascontiguousarray(a).reshape(-1).view(np.uint8))


def array_from(meta, payload):
    dtype, shape = meta
    try:
        dt = np.dtype(dtype)
    except TypeError:                       # ml_dtypes' bfloat16 is known by name only
        import ml_dtypes
        dt = np.dtype(getattr(ml_dtypes, dtype))
    return np.frombuffer(payload, dtype=np.uint8).view(dt).reshape(shape)
