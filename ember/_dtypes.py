"""dtype objects and PyTorch's type-promotion rules (not NumPy's)."""
import builtins

import ml_dtypes
import numpy as np


class dtype:
    """A tensor element type; `ember.float32` etc. are the only instances."""

    __slots__ = ("name", "np", "itemsize", "is_floating_point", "is_complex", "is_signed", "_cat", "_legacy")

    def __init__(self, name, np_dtype, cat, legacy):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.itemsize = self.np.itemsize
        self.is_floating_point = cat == 2
        self.is_complex = cat == 3
        self.is_signed = not name.startswith("uint") and name != "bool"
        self._cat = cat          # 0 bool, 1 integer, 2 floating, 3 complex
        self._legacy = legacy    # name of the legacy tensor type, e.g. 'FloatTensor'

    def __repr__(self):
        return "ember." + self.name

    def __reduce__(self):
        return (_dtype_by_name, (self.name,))

    def to_real(self):
        return {complex64: float32, complex128: float64}.get(self, self)

    def to_complex(self):
        # float16 would give complex32 in PyTorch; ember (NumPy) has no complex32
        return {float32: complex64, float64: complex128, float16: complex64, bfloat16: complex64}.get(self, self)

    @property
    def is_signed_int(self):
        return self._cat == 1 and self.is_signed


float32 = dtype("float32", np.float32, 2, "FloatTensor")
float64 = dtype("float64", np.float64, 2, "DoubleTensor")
float16 = dtype("float16", np.float16, 2, "HalfTensor")
bfloat16 = dtype("bfloat16", ml_dtypes.bfloat16, 2, "BFloat16Tensor")
complex64 = dtype("complex64", np.complex64, 3, "ComplexFloatTensor")
complex128 = dtype("complex128", np.complex128, 3, "ComplexDoubleTensor")
int8 = dtype("int8", np.int8, 1, "CharTensor")
int16 = dtype("int16", np.int16, 1, "ShortTensor")
int32 = dtype("int32", np.int32, 1, "IntTensor")
int64 = dtype("int64", np.int64, 1, "LongTensor")
uint8 = dtype("uint8", np.uint8, 1, "ByteTensor")
# PyTorch's "shell" unsigned types: storage and a few ops, no promotion with other integer types
uint16 = dtype("uint16", np.uint16, 1, "UInt16Tensor")
uint32 = dtype("uint32", np.uint32, 1, "UInt32Tensor")
uint64 = dtype("uint64", np.uint64, 1, "UInt64Tensor")
bool = dtype("bool", np.bool_, 0, "BoolTensor")  # noqa: A001  (torch.bool)

float = float32      # noqa: A001
double = float64
half = float16
cfloat = complex64
cdouble = complex128
short = int16
int = int32          # noqa: A001
long = int64

ALL = (float32, float64, float16, bfloat16, complex64, complex128, int8, int16, int32, int64, uint8, uint16,
       uint32, uint64, bool)
_SHELL_UINTS = (uint16, uint32, uint64)
_BY_NP = {d.np: d for d in ALL}
_BY_NAME = {d.name: d for d in ALL}
_BY_NAME.update(float=float32, double=float64, half=float16, long=int64, int=int32, short=int16,
                cfloat=complex64, cdouble=complex128)
_BY_LEGACY = {d._legacy: d for d in ALL}

# PyTorch's ScalarType names, as its error messages spell them ("not implemented for 'Long'")
SCALAR_NAME = {float32: "Float", float64: "Double", float16: "Half", bfloat16: "BFloat16", complex64: "ComplexFloat",
               complex128: "ComplexDouble", int8: "Char", int16: "Short", int32: "Int", int64: "Long", uint8: "Byte",
               uint16: "UInt16", uint32: "UInt32", uint64: "UInt64", bool: "Bool"}


def _dtype_by_name(name):
    return _BY_NAME[name]


def from_np(np_dtype):
    """The ember dtype of a NumPy dtype (float64 etc.); TypeError for unsupported ones."""
    try:
        return _BY_NP[np_dtype]
    except KeyError:
        pass
    nd = np.dtype(np_dtype)
    if nd in _BY_NP:
        return _BY_NP[nd]
    raise TypeError(
        f"can't convert np.ndarray of type numpy.{nd.type.__name__}. The only supported types are: float64, "
        "float32, float16, complex64, complex128, int64, int32, int16, int8, uint64, uint32, uint16, uint8, and bool.")


def with_canonical_dtype(arr):
    """arr viewed with ember's own dtype object: arrays from pickles or byte-order-built dtypes carry
    dtype objects equal to NumPy's but not identical, and identity is what the hot paths compare."""
    d = from_np(arr.dtype).np
    return arr if arr.dtype is d else arr.view(d)


# --- default dtype -------------------------------------------------------------------------
_default = [float32]


def get_default_dtype():
    return _default[0]


def set_default_dtype(d):
    if not isinstance(d, dtype) or not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _default[0] = d
    _scalar_cache.clear()
    _scalar_np_cache.clear()


# --- promotion ---------------------------------------------------------------------------------
_INT_ORDER = {uint8: 0, int8: 0, int16: 1, int32: 2, int64: 3}


def promote_types(a, b):
    """torch.promote_types: the smallest dtype both a and b convert to safely."""
    if a is b:
        return a
    if (a in _SHELL_UINTS or b in _SHELL_UINTS) and a._cat < 2 and b._cat < 2 or a._cat == 3 and b in _SHELL_UINTS \
            or b._cat == 3 and a in _SHELL_UINTS:
        raise RuntimeError("Promotion for uint16, uint32, uint64 types is not supported, attempted to promote "
                           f"{SCALAR_NAME[a]} and {SCALAR_NAME[b]}")
    if a._cat != b._cat:
        hi, lo = (a, b) if a._cat > b._cat else (b, a)
        if hi._cat == 3 and lo._cat == 2 and lo is float64:
            return complex128
        return hi
    if a._cat == 1:
        if {a, b} == {uint8, int8}:
            return int16
        if uint8 in (a, b):
            other = b if a is uint8 else a
            return other
        return a if _INT_ORDER[a] >= _INT_ORDER[b] else b
    if a._cat == 2:
        if {a, b} == {float16, bfloat16}:
            return float32
        order = {float16: 0, bfloat16: 0, float32: 1, float64: 2}
        return a if order[a] >= order[b] else b
    if a._cat == 3:
        return complex128 if complex128 in (a, b) else complex64
    return a


def _scalar_dtype(v):
    t = type(v)
    if t is builtins.bool:
        return bool
    if t is builtins.int:
        return int64
    if t is builtins.float:
        return _default[0]
    if t is builtins.complex:
        return complex64 if _default[0] is float32 else complex128
    raise TypeError(f"unsupported scalar type {t.__name__}")


_scalar_cache = {}
_scalar_np_cache = {}   # (NumPy dtype, Python scalar type) -> NumPy result dtype, for the op hot path


def _combine(higher, lower):
    """Result when an operand group of higher priority (dimensioned tensors > 0-d tensors > Python
    scalars) meets a lower one: the lower group only matters when its category is higher."""
    if higher is None:
        return lower
    if lower is None or higher._cat == 3:
        return higher
    if lower._cat == 3:
        return higher.to_complex() if higher._cat == 2 else lower
    if higher._cat == 2:
        return higher
    if higher is bool or lower._cat == 2:
        return promote_types(higher, lower)
    return higher


def result_type_scalar(d, s_type):
    """dtype of `tensor(d) <op> python_scalar` where the scalar has Python type s_type."""
    key = (d, s_type)
    r = _scalar_cache.get(key)
    if r is None:
        r = _scalar_cache[key] = _combine(d, _scalar_dtype(s_type(0)))
    return r


def result_type(*operands):
    """torch.result_type over tensors (with `.dtype`/`.ndim`) and Python scalars."""
    tiers = [None, None, None]   # dimensioned tensors, 0-d tensors, Python scalars
    for op in operands:
        if hasattr(op, "_data"):
            d, tier = op.dtype, (0 if op.ndim else 1)
        else:
            d, tier = _scalar_dtype(op), 2
        cur = tiers[tier]
        tiers[tier] = d if cur is None else promote_types(cur, d)
    return _combine(_combine(tiers[0], tiers[1]), tiers[2])
