"""A fake CuPy that runs on the CPU, so ember's CUDA code paths can be tested without a GPU.

Test-only. `installed()` puts fake `cupy` / `cupyx` modules into `sys.modules`, resets ember's CUDA
state so that `ember.cuda.is_available()` is True and `ember.device('cuda')` resolves to the fake,
and restores everything afterwards.

What the fake checks, like real CuPy does (so a passing test here means something):

* `cupy.ndarray` is its own type, *not* a `numpy.ndarray` subclass: `isinstance(a, numpy.ndarray)`
  is False, `type(a) is cupy.ndarray` is True. It wraps a NumPy array (`a._a`).
* No implicit device -> host conversion: `numpy.asarray(a)`, any `numpy.<function>(a)` and any NumPy
  ufunc called on a device array raise TypeError. Only the `cupy.*` functions, the array's methods
  and operators work; `cupy.asnumpy(a)` / `a.get()` copy to the host, `cupy.asarray(host)` copies to
  the device. (Real CuPy forwards NumPy ufuncs/functions that it implements through NEP 13/18; the
  fake is stricter on purpose: ember's design is that op code reaches arrays only through `xp`.)
* No implicit host -> device mixing: a `numpy.ndarray` operand in an operator or a `cupy` ufunc,
  or as the value of a (non-0-d) assignment, raises TypeError ("Unsupported type"); NumPy scalars
  and Python scalars are fine.
* Reductions and indexing return 0-d device arrays, never NumPy scalars.
* Only CuPy's API exists: names CuPy lacks (`cupy.errstate`, `cupy.broadcast_shapes`, NumPy-2-only
  aliases, ...) are missing; array attributes CuPy lacks (`__array_interface__`, `ctypes`, ...) raise
  AttributeError; reductions refuse `initial=` / `where=`; `ufunc.reduce`/`accumulate` exist only
  for add/multiply, `reduceat` only for add, `ufunc.at` only for the scatter ops (add, subtract,
  maximum, minimum, bitwise and/or/xor) and for the dtypes CUDA atomics support.
* dtypes CuPy does not support (bfloat16, longdouble, object, strings) are refused.
* `cupyx.empty_pinned` returns a NumPy array and records the call (`FAKE.pinned_calls`).
* Devices (`installed(device_count=n)`): `FAKE.current` is the current device (`cupy.cuda.Device(i)` as a
  context manager or `.use()`, `runtime.setDevice`); every array records the device it was allocated
  on (`a.device.id`: the current device at its creation; views keep their base's). A kernel (operator,
  ufunc, `cupy.*` function, reduction or other computing method, advanced indexing, assignment) whose
  array operands are not all on the current device raises ValueError, like CuPy without peer access.
  Copies (`cupy.asarray` / `cupy.array` / `cupy.copy` / `a.copy()`) of an array on another device and
  `cupy.*_like(a)` land on the current device; basic indexing, reshapes and host copies (`get`, `item`)
  work from any device.
* Streams and events (`cupy.cuda.Stream`, `Event`, `get_current_stream`, `get_elapsed_time`) follow CuPy's
  rules: a new stream belongs to the current device (the `Stream.null` singleton to none: device_id -1),
  making a stream current (`with s:` / `s.use()`) needs its device to be the current one (RuntimeError),
  each device has its own current stream, an event is recorded only on a stream of its own device, and
  `get_elapsed_time` of an unrecorded or non-timing event raises CUDARuntimeError. The fake runs every
  kernel at once, so streams and events are always `done`; `FAKE.stream_waits` records `wait_event`.
* The default memory pool hands out blocks through the current allocator (`cupy.cuda.alloc`,
  `set_allocator` / `get_allocator`): `used_bytes()` counts live blocks (plus `FAKE.pool_used`, set by
  tests), `total_bytes()` also the freed blocks it keeps until `free_all_blocks()`. Arrays themselves are
  not allocated through it.
"""
import builtins
import contextlib
import functools
import operator
import sys
import time
import types

import numpy as np

IMPLICIT_MSG = ("Implicit conversion to a NumPy array is not allowed. "
                "Please use `.get()` to construct a NumPy array explicitly.")

_SUPPORTED = frozenset(np.dtype(c) for c in "?bBhHiIlLqQefdFD")


def _check_dtype(dt):
    dt = np.dtype(dt)
    if dt not in _SUPPORTED:
        raise TypeError(f"Unsupported dtype {dt}")
    return dt


class _State:
    """What the fake records (reset by `installed()`)."""

    def __init__(self, device_count=1):
        self.device_count = device_count
        self.current = 0            # CuPy's current device: where arrays are allocated and kernels run
        self.switches = 0           # calls that made a device current (Device.use / __enter__, setDevice)
        self.pinned_calls = []      # (shape, dtype) of every cupyx.empty_pinned call
        self.seeds = []             # cupy.random.seed calls
        self.synchronized = 0
        self.synced = []            # the device of every synchronize
        self.pool_used = {}         # device -> bytes the memory pool reports as used there (default 0)
        self.capability = (8, 0)    # (major, minor) every fake device reports
        self.allocator = None       # set_allocator's allocator (None: the default pool's malloc)
        self.live = {}              # device -> bytes of the default pool's blocks in use
        self.cached = {}            # device -> bytes freed back into the default pool, kept until free_all_blocks
        self.current_streams = {}   # device -> its current stream (Stream.null unless made current)
        self.stream_stacks = {}     # device -> streams entered with `with` (for __exit__)
        self.entered_devices = []   # the device of each `with stream` still open, innermost last
        self.stream_waits = []      # (stream ptr, event ptr) of every Stream.wait_event
        self.epoch = object()       # blocks of an earlier installation do not count in this one


FAKE = _State()


# ---------------------------------------------------------------------------------------------------
# ndarray
# ---------------------------------------------------------------------------------------------------
def _quiet():
    return np.errstate(all="ignore")      # CuPy never warns about floating-point errors


def _unsupported(x):
    return TypeError(f"Unsupported type {type(x)}")


def _w(x, dev=None):
    """NumPy result -> device result (arrays and NumPy scalars become device arrays)."""
    t = type(x)
    if t is np.ndarray:
        _check_dtype(x.dtype)
        return ndarray._wrap(x, dev)
    if isinstance(x, np.generic):
        return ndarray._wrap(np.asarray(x), dev)
    if t is list:
        return [_w(v, dev) for v in x]
    if isinstance(x, tuple):      # NumPy's named results (QRResult, SlogdetResult ...) are plain tuples in CuPy
        return tuple(_w(v, dev) for v in x)
    return x


def _u(x, host_ok=False):
    """Device argument -> NumPy (recursively through tuples/lists); host arrays refused unless host_ok."""
    t = type(x)
    if t is ndarray:
        return x._a
    if isinstance(x, np.ndarray):
        if not host_ok and x.ndim:
            raise _unsupported(x)
        return x
    if t is tuple or t is list:
        return t(_u(v, host_ok) for v in x)
    if t is dict:
        return {k: _u(v, host_ok) for k, v in x.items()}
    return x


def _operand(x):
    """An operand of an operator or ufunc: device array, Python or NumPy scalar."""
    t = type(x)
    if t is ndarray:
        return x._a
    if t in (builtins.bool, builtins.int, builtins.float, builtins.complex) or isinstance(x, np.generic):
        return x
    raise _unsupported(x)


def _same_or_wrap(res, inputs):
    """Wrap a result, returning the very input object when NumPy handed back an input's array."""
    if type(res) is np.ndarray:
        for x in inputs:
            if type(x) is ndarray and x._a is res:
                return x
    return _w(res)


_NDARRAY_METHODS = frozenset("""
all any argmax argmin argpartition argsort astype choose clip compress conj conjugate copy cumprod
cumsum diagonal dot dump dumps fill flatten item max mean min nonzero partition prod ptp put ravel
repeat reshape round searchsorted sort squeeze std sum swapaxes take tobytes tofile tolist trace
transpose var view
""".split())
# methods that launch no kernel on the array's device: views (a copy when they must copy, which lands
# on the current device like `copy`) and copies to the host; every other method is a kernel
_NO_KERNEL_METHODS = frozenset("reshape ravel squeeze swapaxes transpose view diagonal copy item tolist "
                               "tobytes tofile dump dumps".split())
_REDUCTIONS = frozenset("all any max min amax amin sum prod mean var std nansum nanprod nanmax nanmin "
                        "nanmean nanvar nanstd argmax argmin".split())


def _check_reduction_kwargs(name, kw):
    for k in ("initial", "where"):
        if k in kw:
            raise TypeError(f"{name}() got an unexpected keyword argument '{k}'")


class _Flags:
    """cupy's flags: c_contiguous, f_contiguous, owndata (no writeable, aligned ...)."""
    __slots__ = ("c_contiguous", "f_contiguous", "owndata")

    def __init__(self, f):  # noqa: D107
        self.c_contiguous, self.f_contiguous, self.owndata = f.c_contiguous, f.f_contiguous, f.owndata

    def __getattr__(self, name):
        raise AttributeError(f"'cupy._core.flags.Flags' object has no attribute '{name}'")

    def __getitem__(self, name):
        return {"C_CONTIGUOUS": self.c_contiguous, "F_CONTIGUOUS": self.f_contiguous,
                "OWNDATA": self.owndata}[name]


class _MemoryPointer:
    __slots__ = ("ptr", "device")

    def __init__(self, ptr, device):
        self.ptr = ptr
        self.device = device


class ndarray:
    """Fake `cupy.ndarray`: a NumPy array that refuses to be used as one."""

    __slots__ = ("_a", "_dev", "__weakref__")
    __array_priority__ = 100
    __hash__ = None

    def __new__(cls, shape, dtype=float, memptr=None, strides=None, order="C"):
        return cls._wrap(np.empty(shape, dtype=_check_dtype(dtype), order=order))

    @staticmethod
    def _wrap(a, dev=None):
        o = object.__new__(ndarray)
        o._a = a
        o._dev = FAKE.current if dev is None else dev     # the device it lives on (CuPy: current device)
        return o

    def _view(self, a):
        return ndarray._wrap(a, self._dev)

    # ---- interop guards -----------------------------------------------------------------------
    def __array__(self, dtype=None, copy=None):
        raise TypeError(IMPLICIT_MSG)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        # `numpy_scalar <op> device_array` goes through here; real CuPy forwards it to its ufunc.
        if method == "__call__" and not kwargs and len(inputs) == 2 and ufunc.__name__ in _OPERATOR_UFUNCS \
                and all(type(x) is ndarray or isinstance(x, np.generic) for x in inputs):
            return getattr(_MODULE, ufunc.__name__)(*inputs)
        raise TypeError(f"numpy.{ufunc.__name__}{'' if method == '__call__' else '.' + method} called on a "
                        f"(fake) CuPy array: use the array module of the device (xp). {IMPLICIT_MSG}")

    def __array_function__(self, func, types, args, kwargs):
        raise TypeError(f"numpy.{func.__name__} called on a (fake) CuPy array: use the array module of the "
                        f"device (xp). {IMPLICIT_MSG}")

    # ---- attributes ---------------------------------------------------------------------------
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    strides = property(lambda self: self._a.strides)
    flags = property(lambda self: _Flags(self._a.flags))
    T = property(lambda self: self._view(self._a.T))
    mT = property(lambda self: self._view(self._a.mT))
    real = property(lambda self: self._view(self._a.real))
    imag = property(lambda self: self._view(self._a.imag))

    @property
    def base(self):
        b = self._a.base
        while b is not None and not isinstance(b, np.ndarray):
            b = getattr(b, "base", None)
        return None if b is None else self._view(b)

    @property
    def device(self):
        return Device(self._dev)

    @property
    def data(self):
        return _MemoryPointer(self._a.__array_interface__["data"][0], self.device)

    def __getattr__(self, name):
        if name not in _NDARRAY_METHODS:
            raise AttributeError(f"'cupy.ndarray' object has no attribute '{name}'")
        meth = getattr(self._a, name)

        def call(*args, **kw):
            if name in _REDUCTIONS:
                _check_reduction_kwargs(name, kw)
            if name == "item" and args:
                raise TypeError("item() takes no arguments")
            if name == "astype":
                _check_dtype(args[0] if args else kw["dtype"])
            if name == "view" and (args or "dtype" in kw):
                d = args[0] if args else kw["dtype"]
                if not (isinstance(d, type) and issubclass(d, ndarray)):
                    _check_dtype(d)
            if name not in _NO_KERNEL_METHODS:
                _check_devices((self,) + args + tuple(kw.values()))
            with _quiet():
                r = meth(*_u(args), **_u(kw))
            if name in ("item", "tolist", "tobytes", "dumps"):
                return r
            if r is self._a:
                return self
            view = isinstance(r, np.ndarray) and np.may_share_memory(r, self._a)
            return _w(r, self._dev if view else None)      # new memory: on the current device
        return call

    def get(self, stream=None, order="C", out=None, blocking=True):
        if out is not None:
            out[...] = self._a
            return out
        return np.array(self._a, order=order, copy=True)

    def set(self, arr, stream=None):
        if not isinstance(arr, np.ndarray):
            raise TypeError("Only numpy.ndarray can be set to cupy.ndarray")
        if arr.dtype != self._a.dtype:
            raise TypeError(f"{arr.dtype} array cannot be set to {self._a.dtype} array")
        if arr.shape != self._a.shape:
            raise ValueError("Shape mismatch")
        self._a[...] = arr

    # ---- Python protocol ----------------------------------------------------------------------
    def __len__(self):
        return len(self._a)

    def __iter__(self):
        if self._a.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (self._view(np.asarray(self._a[i])) for i in range(len(self._a)))

    def __bool__(self):
        return builtins.bool(self._a)

    def __int__(self):
        return builtins.int(self._a)

    def __float__(self):
        return builtins.float(self._a)

    def __complex__(self):
        return builtins.complex(self._a)

    def __repr__(self):
        return repr(self._a)

    def __str__(self):
        return str(self._a)

    def __format__(self, spec):
        return format(self._a, spec)

    def __copy__(self):
        return self._view(self._a.copy())

    def __deepcopy__(self, memo):
        return self._view(self._a.copy())

    def __reduce__(self):
        return (_from_host, (self._a.copy(), self._dev))

    def __getitem__(self, key):
        if _has_array(key):             # advanced indexing: a gather kernel; basic indexing: a view
            _check_devices((self, key))
        r = self._a[_index(key)]
        return self._view(r if isinstance(r, np.ndarray) else np.asarray(r))

    def __setitem__(self, key, value):
        _check_devices((self, key, value))
        if type(value) is ndarray:
            value = value._a
        elif isinstance(value, np.ndarray) and value.ndim:
            raise TypeError(f"Unsupported type {type(value)} (a host array assigned into a device array)")
        self._a[_index(key)] = value


def _from_host(a, dev=0):
    return ndarray._wrap(a, dev)


def _check_devices(args):
    """Like CuPy's kernels: every array argument must be on the current device."""
    for x in args:
        t = type(x)
        if t is ndarray:
            if x._dev != FAKE.current:
                raise ValueError("Array device must be same as the current device: "
                                 f"array device = {x._dev} while current = {FAKE.current}")
        elif t is tuple or t is list:
            _check_devices(x)


def _has_array(key):
    return type(key) is ndarray or (type(key) is tuple and any(type(k) is ndarray for k in key))


def _index(key):
    if type(key) is ndarray:
        return key._a
    if type(key) is tuple:
        return tuple(k._a if type(k) is ndarray else k for k in key)
    return key


def _defers(self, other):
    """Whether `self <op> other` must return NotImplemented (other, an ember Tensor, takes over)."""
    return type(other) is not ndarray and getattr(other, "__array_priority__", 0) > self.__array_priority__ \
        and not isinstance(other, np.ndarray)


def _binop(fn, reflected=False):
    def op(self, other):
        if _defers(self, other):
            return NotImplemented
        o = _operand(other)
        _check_devices((self, other))
        with _quiet():
            r = fn(o, self._a) if reflected else fn(self._a, o)
        return _w(r)
    return op


def _iop(fn):
    def op(self, other):
        if _defers(self, other):
            return NotImplemented
        o = _operand(other)
        _check_devices((self, other))
        with _quiet():
            fn(self._a, o)
        return self
    return op


_OPERATORS = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul, "truediv": operator.truediv,
    "floordiv": operator.floordiv, "mod": operator.mod, "pow": operator.pow, "matmul": operator.matmul,
    "and": operator.and_, "or": operator.or_, "xor": operator.xor, "lshift": operator.lshift,
    "rshift": operator.rshift, "divmod": divmod,
}
_INPLACE = {
    "add": operator.iadd, "sub": operator.isub, "mul": operator.imul, "truediv": operator.itruediv,
    "floordiv": operator.ifloordiv, "mod": operator.imod, "pow": operator.ipow, "matmul": operator.imatmul,
    "and": operator.iand, "or": operator.ior, "xor": operator.ixor, "lshift": operator.ilshift,
    "rshift": operator.irshift,
}
for _n, _f in _OPERATORS.items():
    setattr(ndarray, f"__{_n}__", _binop(_f))
    setattr(ndarray, f"__r{_n}__", _binop(_f, reflected=True))
for _n, _f in _INPLACE.items():
    setattr(ndarray, f"__i{_n}__", _iop(_f))
for _n, _f in {"lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge,
               "eq": operator.eq, "ne": operator.ne}.items():
    setattr(ndarray, f"__{_n}__", _binop(_f))
for _n, _f in {"neg": operator.neg, "pos": operator.pos, "abs": operator.abs, "invert": operator.invert}.items():
    setattr(ndarray, f"__{_n}__", (lambda f: lambda self: _check_devices((self,)) or _w(f(self._a)))(_f))

# NumPy ufuncs that `numpy_scalar <op> array` reaches (see ndarray.__array_ufunc__)
_OPERATOR_UFUNCS = frozenset("add subtract multiply true_divide divide floor_divide remainder power matmul "
                             "bitwise_and bitwise_or bitwise_xor left_shift right_shift less less_equal "
                             "greater greater_equal equal not_equal divmod".split())


# ---------------------------------------------------------------------------------------------------
# ufuncs
# ---------------------------------------------------------------------------------------------------
# dtypes of the CUDA atomics behind ufunc.at (no signed 64-bit, no bool, no complex)
_AT_DTYPES = {
    "add": frozenset(np.dtype(c) for c in "iILQefd"),
    "subtract": frozenset(np.dtype(c) for c in "iI"),
    "maximum": frozenset(np.dtype(c) for c in "iILQfd"),
    "minimum": frozenset(np.dtype(c) for c in "iILQfd"),
    "bitwise_and": frozenset(np.dtype(c) for c in "iILQ"),
    "bitwise_or": frozenset(np.dtype(c) for c in "iILQ"),
    "bitwise_xor": frozenset(np.dtype(c) for c in "iILQ"),
}


class ufunc:
    """Fake `cupy.ufunc`: device arrays and scalars in, device arrays out."""

    def __init__(self, npu, name=None):
        self._u = npu
        self.__name__ = name or npu.__name__
        self.nin = npu.nin
        self.nout = npu.nout
        self.nargs = npu.nargs
        self.types = npu.types

    def __repr__(self):
        return f"<ufunc 'cupy_{self.__name__}'>"

    def __call__(self, *args, **kw):
        _check_devices(args)
        ins = [_operand(a) for a in args[:self.nin]]
        outs = args[self.nin:]
        out = kw.pop("out", None)
        if outs:
            out = outs if len(outs) > 1 else outs[0]
        if out is not None:
            if type(out) is tuple:
                kw["out"] = tuple(o._a if type(o) is ndarray else _operand(o) for o in out)
            elif type(out) is ndarray:
                kw["out"] = out._a
            else:
                raise TypeError(f"Output argument must be a cupy.ndarray, not {type(out)}")
        with _quiet():
            r = self._u(*ins, **kw)
        if out is not None:
            return out
        return _w(r)

    def reduce(self, array, axis=0, dtype=None, out=None, keepdims=False):
        if self.__name__ not in ("add", "multiply"):
            raise NotImplementedError(f"`cupy_{self.__name__}.reduce` is not supported yet")
        _check_devices((array,))
        return _w(self._u.reduce(_u(array), axis=axis, dtype=dtype, keepdims=keepdims))

    def accumulate(self, array, axis=0, dtype=None, out=None):
        if self.__name__ not in ("add", "multiply"):
            raise NotImplementedError(f"`cupy_{self.__name__}.accumulate` is not supported yet")
        _check_devices((array,))
        return _w(self._u.accumulate(_u(array), axis=axis, dtype=dtype))

    def reduceat(self, array, indices, axis=0, dtype=None, out=None):
        if self.__name__ != "add":
            raise NotImplementedError(f"`cupy_{self.__name__}.reduceat` is not supported yet")
        _check_devices((array, indices))
        return _w(self._u.reduceat(_u(array), _u(indices), axis=axis, dtype=dtype))

    def outer(self, A, B, **kw):
        _check_devices((A, B))
        return _w(self._u.outer(_operand(A), _operand(B), **kw))

    def at(self, a, indices, b=None):
        if self.__name__ not in _AT_DTYPES:
            raise NotImplementedError(f"`cupy_{self.__name__}.at` is not supported yet")
        if type(a) is not ndarray:
            raise TypeError(f"Argument 'a' has incorrect type (expected cupy.ndarray, got {type(a).__name__})")
        if a.dtype not in _AT_DTYPES[self.__name__]:
            raise TypeError(f"cupy_{self.__name__}.at does not support {a.dtype} arrays (CUDA atomics)")
        _check_devices((a, indices, b))
        idx = _index(indices)
        if type(indices) is list:
            idx = [i._a if type(i) is ndarray else i for i in indices]
        bb = None if b is None else _operand(b)
        if bb is None:
            self._u.at(a._a, idx)
        else:
            self._u.at(a._a, idx, bb)


_UFUNC_NAMES = """
add subtract multiply divide true_divide floor_divide power float_power remainder mod fmod negative
positive absolute fabs sign rint floor ceil trunc exp exp2 expm1 log log2 log10 log1p logaddexp
logaddexp2 sqrt cbrt square reciprocal sin cos tan arcsin arccos arctan arctan2 sinh cosh tanh
arcsinh arccosh arctanh hypot deg2rad rad2deg degrees radians maximum minimum fmax fmin isnan isinf
isfinite signbit copysign nextafter ldexp frexp modf greater greater_equal less less_equal equal
not_equal logical_and logical_or logical_xor logical_not bitwise_and bitwise_or bitwise_xor invert
bitwise_not left_shift right_shift gcd lcm heaviside conjugate conj divmod spacing
""".split()

_FUNCTION_NAMES = """
all any allclose amax amin angle append apply_along_axis arange argmax argmin argpartition argsort
argwhere around array_equal array_split atleast_1d atleast_2d atleast_3d average bartlett bincount
blackman broadcast_arrays broadcast_to choose clip column_stack compress concatenate convolve copy
copyto corrcoef correlate count_nonzero cov cross cumprod cumsum delete diag diag_indices diagflat
diagonal diff digitize dot dsplit dstack ediff1d einsum empty empty_like expand_dims extract eye
fill_diagonal flatnonzero flip fliplr flipud full full_like gradient hamming hanning histogram
histogram2d histogramdd hsplit hstack i0 identity imag indices inner interp isclose iscomplex
iscomplexobj isin isreal isrealobj kaiser kron lexsort linspace logspace matmul max mean median
meshgrid min moveaxis nan_to_num nanargmax nanargmin nancumprod nancumsum nanmax nanmean nanmedian
nanmin nanprod nanstd nansum nanvar ndim nonzero ones ones_like outer packbits pad partition
percentile place prod ptp put put_along_axis putmask quantile ravel ravel_multi_index real repeat
require reshape resize roll rollaxis rot90 round searchsorted select shape sinc size sort split
squeeze stack std sum swapaxes take take_along_axis tensordot tile trace transpose tri tril
tril_indices tril_indices_from triu triu_indices triu_indices_from trim_zeros union1d unique
unpackbits unravel_index unwrap vander var vdot vsplit vstack where zeros zeros_like
intersect1d setdiff1d setxor1d in1d may_share_memory shares_memory
""".split()

# plain NumPy objects CuPy re-exports (dtypes, type helpers, constants)
_PASSTHROUGH = """
bool_ int8 int16 int32 int64 uint8 uint16 uint32 uint64 float16 float32 float64 complex64 complex128
intp uintp intc uintc byte ubyte short ushort longlong ulonglong half single double csingle cdouble
generic number integer signedinteger unsignedinteger inexact floating complexfloating
dtype finfo iinfo result_type promote_types can_cast issubdtype common_type min_scalar_type
isscalar e pi inf nan newaxis euler_gamma
""".split()

def _function(npf, name):
    @functools.wraps(npf)
    def f(*args, **kw):
        if name in _REDUCTIONS:
            _check_reduction_kwargs(name, kw)
        _check_devices(args)
        _check_devices(tuple(kw.values()))
        with _quiet():
            r = npf(*_u(args), **_u(kw))
        return _same_or_wrap(r, args + tuple(kw.values()))
    f.__name__ = name
    return f


def asarray(a, dtype=None, order=None, *, blocking=False):
    if type(a) is ndarray:
        if (dtype is None or np.dtype(dtype) == a.dtype) and a._dev == FAKE.current:
            return a
        return _w(a._a.astype(_check_dtype(dtype or a.dtype)))     # a copy on the current device
    r = np.array(_u(a, host_ok=True), dtype=dtype, order=order or "K", copy=True)    # host -> device copy
    return _w(r)


def array(obj, dtype=None, copy=True, order="K", subok=False, ndmin=0, *, blocking=False):
    if type(obj) is ndarray:            # copy=False still copies an array of another device to the current one
        copy = True if copy or obj._dev != FAKE.current else None      # CuPy's copy=False: only if needed
        r = np.array(obj._a, dtype=dtype, copy=copy, order=order, ndmin=ndmin)
        return obj if r is obj._a else _w(r)
    return _w(np.array(_u(obj, host_ok=True), dtype=dtype, copy=True, order=order, ndmin=ndmin))


def _copy(a, order="K"):
    """cupy.copy: a copy on the current device, from any device."""
    return _w(np.array(_u(a), order=order, copy=True))


def _like(npf):
    """cupy.<x>_like: only the shape and dtype of `a` are used; the new array is on the current device."""
    @functools.wraps(npf)
    def f(a, *args, **kw):
        return _w(npf(_u(a, host_ok=True), *args, **kw))
    return f


def asnumpy(a, stream=None, order="C", out=None, blocking=True):
    if type(a) is ndarray:
        return a.get(stream=stream, order=order, out=out)
    return np.asarray(a, order=order)


def ascontiguousarray(a, dtype=None):
    if type(a) is not ndarray:
        raise TypeError(f"Argument 'a' has incorrect type (expected cupy.ndarray, got {type(a).__name__})")
    r = np.ascontiguousarray(a._a, dtype=dtype)
    return a if r is a._a else _w(r)


def get_array_module(*args):
    return _MODULE if any(type(a) is ndarray for a in args) else np


# ---------------------------------------------------------------------------------------------------
# cupy.cuda
# ---------------------------------------------------------------------------------------------------
class CUDARuntimeError(RuntimeError):
    pass


def _check_ordinal(i):
    if not 0 <= i < FAKE.device_count:
        raise CUDARuntimeError("cudaErrorInvalidDevice: invalid device ordinal")


def _get_device_count():
    return FAKE.device_count


def _get_device():
    return FAKE.current


def _set_device(i):
    _check_ordinal(i)
    FAKE.switches += 1
    FAKE.current = i


_TOTAL_MEMORY = 16 << 30


def _get_device_properties(i):
    """Some of the keys of CuPy's dict (cudaDeviceProp's field names), A100-like values."""
    _check_ordinal(i)
    major, minor = FAKE.capability
    return {"name": f"Fake CUDA Device {i} (ember tests)".encode(), "major": major, "minor": minor,
            "totalGlobalMem": _TOTAL_MEMORY, "multiProcessorCount": 80, "l2CacheSize": 40 << 20,
            "uuid": bytes(range(15)) + bytes([i]), "pciBusID": 0x10 + i, "pciDeviceID": 0, "pciDomainID": 0,
            "warpSize": 32, "integrated": 0, "isMultiGpuBoard": 0, "maxThreadsPerMultiProcessor": 2048,
            "regsPerMultiprocessor": 65536, "sharedMemPerBlock": 49152, "sharedMemPerBlockOptin": 166912,
            "sharedMemPerMultiprocessor": 167936, "memoryBusWidth": 5120, "memoryClockRate": 1215000,
            "clockRate": 1410000}


def _mem_get_info():
    """(free, total) bytes of the current device, as cudaMemGetInfo: what the pool holds is not free."""
    return _TOTAL_MEMORY - _POOL.total_bytes(), _TOTAL_MEMORY


class Device:
    def __init__(self, device=None):
        self.id = FAKE.current if device is None else int(device)

    def __eq__(self, other):
        return isinstance(other, Device) and other.id == self.id

    def __hash__(self):
        return hash(self.id)

    def __repr__(self):
        return f"<CUDA Device {self.id}>"

    def use(self):
        _set_device(self.id)

    def synchronize(self):
        FAKE.synchronized += 1
        FAKE.synced.append(self.id)

    def __enter__(self):
        self._prev = getattr(self, "_prev", []) + [FAKE.current]     # a stack: the same Device may nest
        _set_device(self.id)
        return self

    def __exit__(self, *exc):
        FAKE.current = self._prev.pop()
        return False


_INVALID_HANDLE = "cudaErrorInvalidResourceHandle: invalid resource handle"
_handles = [0x7F0000001000]


def _new_handle():
    """A fresh non-zero pointer value for a stream, event or memory block."""
    _handles[0] += 0x100
    return _handles[0]


class _PooledMemory:
    """A block of the default pool (`mem` of a MemoryPointer): back into the pool when no pointer holds it."""

    def __init__(self, size, device_id):
        self.ptr = _new_handle() if size else 0
        self.size = size
        self.device_id = device_id
        self._epoch = FAKE.epoch

    def __del__(self):
        if self._epoch is FAKE.epoch and self.size:
            FAKE.live[self.device_id] -= self.size
            FAKE.cached[self.device_id] = FAKE.cached.get(self.device_id, 0) + self.size


class _RawMemory(_PooledMemory):
    """A block from cudaMalloc directly (`set_allocator(None)`): the pool does not see it."""

    def __del__(self):
        pass


class MemoryPointer:
    def __init__(self, mem, offset):
        self.mem = mem
        self.ptr = mem.ptr + offset
        self.device_id = mem.device_id

    @property
    def device(self):
        return Device(self.device_id)


class _MemoryPool:
    def malloc(self, size):
        """A block of `size` bytes rounded up to 512, on the current device; reuses freed bytes first."""
        if self is not _POOL:
            raise NotImplementedError("fake CuPy: only the default memory pool allocates")
        size = -(-int(size) // 512) * 512
        dev = FAKE.current
        cached = FAKE.cached.get(dev, 0)
        FAKE.cached[dev] = cached - min(cached, size)
        FAKE.live[dev] = FAKE.live.get(dev, 0) + size
        return MemoryPointer(_PooledMemory(size, dev), 0)

    def used_bytes(self):       # CuPy's pool reports on the current device
        if self is not _POOL:
            return 0
        return FAKE.pool_used.get(FAKE.current, 0) + FAKE.live.get(FAKE.current, 0)

    def total_bytes(self):
        return self.used_bytes() + self.free_bytes()

    def free_bytes(self):
        return FAKE.cached.get(FAKE.current, 0) if self is _POOL else 0

    def free_all_blocks(self, stream=None):
        if self is _POOL:
            FAKE.cached[FAKE.current] = 0


_POOL = _MemoryPool()
_PINNED_POOL = _MemoryPool()


def _raw_malloc(size):
    return MemoryPointer(_RawMemory(int(size), FAKE.current), 0)


def _get_allocator():
    return _POOL.malloc if FAKE.allocator is None else FAKE.allocator


def _set_allocator(allocator=None):
    FAKE.allocator = _raw_malloc if allocator is None else allocator


def _alloc(size):
    return _get_allocator()(size)


class Stream:
    """cupy.cuda.Stream: ptr and device_id (-1 for the null/per-thread singletons), CuPy's current-stream rules."""

    null = None
    ptds = None

    def __init__(self, null=False, non_blocking=False, ptds=False, priority=None):
        if null or ptds:
            self.ptr, self.device_id, self._priority = (0 if null else 2), -1, 0
        else:
            self.ptr, self.device_id = _new_handle(), FAKE.current
            self._priority = min(0, max(-5, priority or 0))       # CUDA clamps to the device's range

    def __eq__(self, other):
        return isinstance(other, Stream) and other.ptr == self.ptr

    def __hash__(self):
        return self.ptr

    def __repr__(self):
        return f"<Stream {self.ptr} (device {self.device_id})>"

    @property
    def priority(self):
        return self._priority

    @property
    def done(self):
        return True         # the fake runs every kernel at once

    def synchronize(self):
        FAKE.synchronized += 1

    def record(self, event=None):
        event = Event() if event is None else event
        event.record(self)
        return event

    def wait_event(self, event):
        FAKE.stream_waits.append((self.ptr, event.ptr))

    def _own_device(self):
        """CuPy's check: a stream is made current only while its device is the current device."""
        dev = FAKE.current if self.device_id == -1 else self.device_id
        if dev != FAKE.current:
            raise RuntimeError(f"The device that the stream is created on ({dev}) does not match with the "
                               f"current device ({FAKE.current})")
        return dev

    def use(self):
        FAKE.current_streams[self._own_device()] = self
        return self

    def __enter__(self):
        dev = self._own_device()
        FAKE.stream_stacks.setdefault(dev, []).append(FAKE.current_streams.get(dev, Stream.null))
        FAKE.entered_devices.append(dev)
        FAKE.current_streams[dev] = self
        return self

    def __exit__(self, *exc):
        dev = FAKE.entered_devices.pop()
        FAKE.current_streams[dev] = FAKE.stream_stacks[dev].pop()
        return False


Stream.null = Stream(null=True)
Stream.ptds = Stream(ptds=True)


def _get_current_stream(device_id=-1):
    return FAKE.current_streams.get(FAKE.current if device_id == -1 else device_id, Stream.null)


class Event:
    """cupy.cuda.Event: made on the current device; recorded only on a stream of that device."""

    def __init__(self, block=False, disable_timing=False, interprocess=False):
        self.ptr = 0
        if interprocess and not disable_timing:
            raise ValueError("Timing must be disabled for interprocess events")
        self.ptr = _new_handle()
        self._device = FAKE.current
        self._timing = not disable_timing
        self._recorded_at = None

    @property
    def done(self):
        return True

    def record(self, stream=None):
        stream = _get_current_stream() if stream is None else stream
        if (FAKE.current if stream.device_id == -1 else stream.device_id) != self._device:
            raise CUDARuntimeError(_INVALID_HANDLE)
        self._recorded_at = time.perf_counter()

    def synchronize(self):
        pass


def _get_elapsed_time(start_event, end_event):
    """Milliseconds between two recorded timing events."""
    if any(e._recorded_at is None or not e._timing for e in (start_event, end_event)):
        raise CUDARuntimeError(_INVALID_HANDLE)
    return (end_event._recorded_at - start_event._recorded_at) * 1000.0


def _make_cuda():
    runtime = types.ModuleType("cupy.cuda.runtime")
    runtime.getDeviceCount = _get_device_count
    runtime.getDevice = _get_device
    runtime.setDevice = _set_device
    runtime.getDeviceProperties = _get_device_properties
    runtime.deviceSynchronize = lambda: Device().synchronize()
    runtime.memGetInfo = _mem_get_info
    runtime.CUDARuntimeError = CUDARuntimeError
    runtime.is_hip = False
    cuda = types.ModuleType("cupy.cuda")
    cuda.runtime = runtime
    cuda.Device = Device
    cuda.Stream = Stream
    cuda.Event = Event
    cuda.get_current_stream = _get_current_stream
    cuda.get_elapsed_time = _get_elapsed_time
    cuda.is_available = lambda: FAKE.device_count > 0
    cuda.MemoryPool = _MemoryPool
    cuda.MemoryPointer = MemoryPointer
    cuda.alloc = _alloc
    cuda.set_allocator = _set_allocator
    cuda.get_allocator = _get_allocator
    cuda.PinnedMemoryPointer = PinnedMemoryPointer
    return cuda


# ---------------------------------------------------------------------------------------------------
# module assembly
# ---------------------------------------------------------------------------------------------------
class PinnedMemoryPointer(bytearray):
    """Stands for the page-locked buffer behind a `cupyx.empty_pinned` array (the array's `.base`)."""


def _empty_pinned(shape, dtype=float, order="C"):
    # like cupyx: a NumPy array over a pinned buffer; any NumPy dtype (bfloat16 too: it is host memory)
    dtype = np.dtype(dtype)
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    FAKE.pinned_calls.append((shape, dtype))
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    return np.ndarray(shape, dtype=dtype, buffer=PinnedMemoryPointer(max(nbytes, 1)), order=order)


def _zeros_pinned(shape, dtype=float, order="C"):
    a = _empty_pinned(shape, dtype, order)
    a[...] = 0
    return a


def _scatter(name):
    def f(a, slices, value):
        getattr(_MODULE, name).at(a, slices, value)
    return f


class _cupyx_errstate:
    def __init__(self, *, linalg=None):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _special_ufunc(fn, name, nin=1):
    def f(*args):
        if len(args) != nin:
            raise TypeError(f"Wrong number of arguments for 'cupyx_scipy_special_{name}'")
        _check_devices(args)
        return _w(np.asarray(fn(*[_operand(a) for a in args])))
    f.__name__ = name
    return f


def _make_modules():
    cp = types.ModuleType("cupy")
    cp.__doc__ = "Fake CuPy for ember's tests (see tests/cuda/fake_cupy.py)."
    cp.__version__ = "13.0.0+fake"
    cp.ndarray = ndarray
    cp.ufunc = ufunc
    for name in _PASSTHROUGH:
        if hasattr(np, name):
            setattr(cp, name, getattr(np, name))
    for name in _UFUNC_NAMES:
        npu = getattr(np, name, None)
        if isinstance(npu, np.ufunc):
            setattr(cp, name, ufunc(npu, name))
    cp.abs = cp.absolute
    for name in _FUNCTION_NAMES:
        npf = getattr(np, name, None)
        if npf is not None and not hasattr(cp, name):
            setattr(cp, name, _function(npf, name))
    cp.amax, cp.amin = cp.max, cp.min
    cp.copy = _copy
    for name in ("empty_like", "zeros_like", "ones_like", "full_like"):
        setattr(cp, name, _like(getattr(np, name)))
    cp.array = array
    cp.asarray = cp.asanyarray = asarray
    cp.ascontiguousarray = ascontiguousarray
    cp.asnumpy = asnumpy
    cp.get_array_module = get_array_module
    cp.get_default_memory_pool = lambda: _POOL
    cp.get_default_pinned_memory_pool = lambda: _PINNED_POOL
    cp.is_available = lambda: FAKE.device_count > 0

    cuda = _make_cuda()
    cp.cuda = cuda

    linalg = types.ModuleType("cupy.linalg")
    for name in ("matrix_power cholesky qr svd eigh eig eigvalsh eigvals norm cond det matrix_rank slogdet "
                 "solve tensorsolve lstsq inv pinv tensorinv").split():
        setattr(linalg, name, _function(getattr(np.linalg, name), name))
    linalg.LinAlgError = np.linalg.LinAlgError
    cp.linalg = linalg

    random = types.ModuleType("cupy.random")
    random.seed = lambda seed=None: FAKE.seeds.append(seed)
    cp.random = random

    lib = types.ModuleType("cupy.lib")
    st = types.ModuleType("cupy.lib.stride_tricks")
    st.as_strided = _function(np.lib.stride_tricks.as_strided, "as_strided")
    st.sliding_window_view = _function(np.lib.stride_tricks.sliding_window_view, "sliding_window_view")
    lib.stride_tricks = st
    cp.lib = lib

    cupyx = types.ModuleType("cupyx")
    cupyx.empty_pinned = _empty_pinned
    cupyx.zeros_pinned = _zeros_pinned
    cupyx.empty_like_pinned = lambda a, dtype=None: _empty_pinned(a.shape, dtype or a.dtype)
    cupyx.scatter_add = _scatter("add")
    cupyx.scatter_max = _scatter("maximum")
    cupyx.scatter_min = _scatter("minimum")
    cupyx.errstate = _cupyx_errstate
    scipy = types.ModuleType("cupyx.scipy")
    special = types.ModuleType("cupyx.scipy.special")
    from ember import _special_np
    for name in ("erf", "erfc", "erfinv", "gammaln", "digamma"):
        setattr(special, name, _special_ufunc(getattr(_special_np, name), name))
    special.polygamma = _special_ufunc(_special_np.polygamma, "polygamma", nin=2)
    scipy.special = special
    cupyx.scipy = scipy

    mods = {"cupy": cp, "cupy.cuda": cuda, "cupy.cuda.runtime": cuda.runtime, "cupy.linalg": linalg,
            "cupy.random": random, "cupy.lib": lib, "cupy.lib.stride_tricks": st, "cupyx": cupyx,
            "cupyx.scipy": scipy, "cupyx.scipy.special": special}
    return cp, mods


_MODULE, _MODULES = _make_modules()
cupy = _MODULE
cupyx = _MODULES["cupyx"]


# ---------------------------------------------------------------------------------------------------
# installing into ember
# ---------------------------------------------------------------------------------------------------
def _reset_ember_cuda():
    from ember import _device, _factory, cuda
    _device._cuda_state.clear()
    cuda._properties.clear()            # cached device properties and memory peaks of the last installation
    cuda.memory._tracker[0] = None
    for d in list(_device.device._cache.values()):
        if d.type == "cuda":
            d.xp = None
            d.backend = None
    if _factory._default_device[0].type == "cuda":
        _factory._default_device[0] = _device.CPU


@contextlib.contextmanager
def installed(device_count=1):
    """Fake CuPy in sys.modules and ember's CUDA state reset for the duration; restored after."""
    saved = {name: sys.modules.get(name, _MISSING) for name in _MODULES}
    FAKE.__init__(device_count)
    sys.modules.update(_MODULES)
    _reset_ember_cuda()
    try:
        yield _MODULE
    finally:
        for name, mod in saved.items():
            if mod is _MISSING:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = mod
        _reset_ember_cuda()


@contextlib.contextmanager
def uninstalled():
    """No CUDA backend at all for the duration (even inside `installed()`); restored after."""
    saved = {name: sys.modules.get(name, _MISSING) for name in _MODULES}
    for name in _MODULES:
        sys.modules[name] = None        # makes `import cupy` raise ImportError
    _reset_ember_cuda()
    try:
        yield
    finally:
        for name, mod in saved.items():
            if mod is _MISSING:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = mod
        _reset_ember_cuda()


_MISSING = object()
