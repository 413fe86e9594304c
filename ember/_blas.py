"""BLAS routines NumPy does not expose, called through the BLAS library NumPy itself links (found
with ctypes). Today: axpy (y += a * x in one fused multiply-add pass, as torch's `add_(x, alpha=a)`
rounds). `axpy_kernel(dtype)` is None where no such library or symbol is found; callers then use
two NumPy passes."""
import ctypes
import glob
import os
import sys

import numpy as _np

# symbol patterns and their integer type: NumPy's own wheels (ILP64, prefixed), older ILP64 builds, plain LP64
_NAMINGS = (("scipy_cblas_{}64_", ctypes.c_int64), ("cblas_{}64_", ctypes.c_int64), ("cblas_{}", ctypes.c_int))
_SCALAR = {"float32": ("saxpy", ctypes.c_float), "float64": ("daxpy", ctypes.c_double)}
_kernels = {}


def _libraries():
    """Candidate BLAS libraries: those bundled next to NumPy, then any BLAS this process has loaded."""
    root = os.path.dirname(_np.__file__)
    paths = glob.glob(os.path.join(root, os.pardir, "numpy.libs", "*blas*")) + \
        glob.glob(os.path.join(root, ".dylibs", "*blas*"))
    if sys.platform.startswith("linux"):
        try:
            with open("/proc/self/maps") as f:
                paths += [line.split()[-1] for line in f if "blas" in line and "/" in line]
        except OSError:
            pass
    for path in dict.fromkeys(paths):
        try:
            yield ctypes.CDLL(path)
        except OSError:
            continue


def _find(dtype_name):
    name, scalar = _SCALAR[dtype_name]
    for lib in _libraries():
        for pattern, int_t in _NAMINGS:
            fn = getattr(lib, pattern.format(name), None)
            if fn is not None:
                fn.argtypes = [int_t, scalar, ctypes.c_void_p, int_t, ctypes.c_void_p, int_t]
                fn.restype = None
                return fn
    return None


def axpy_kernel(dtype):
    """The BLAS axpy for a NumPy float32/float64 dtype, or None."""
    fn = _kernels.get(dtype, False)
    if fn is False:        # looked up once per dtype (the dtype is the key: its `.name` is slow to build)
        fn = _kernels[dtype] = _find(dtype.name) if dtype.name in _SCALAR else None
    return fn


def axpy(alpha, x, y):
    """y += alpha * x in place (same shape and dtype) with one rounding per element when BLAS allows;
    False when it could not (the caller does the update itself)."""
    fn = axpy_kernel(y.dtype)
    if fn is None or x.dtype != y.dtype or x.shape != y.shape or not y.flags.writeable:
        return False
    if y.flags.c_contiguous and x.flags.c_contiguous or y.flags.f_contiguous and x.flags.f_contiguous:
        fn(y.size, alpha, x.ctypes.data, 1, y.ctypes.data, 1)
        return True
    return False
