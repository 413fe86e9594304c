"""Elementwise ops: arithmetic, unary math, special functions, clamping, selection, comparisons,
logical and bitwise ops. Each differentiable op is one class (forward + backward)."""

# public names exported as ember.<name>; add each new public function here
__all__ = [
    # arithmetic
    'add', 'sub', 'subtract', 'mul', 'multiply', 'div', 'divide', 'true_divide', 'floor_divide', 'neg',
    'negative', 'positive', 'pow', 'float_power', 'square', 'reciprocal', 'fmod', 'remainder', 'addcmul',
    'addcdiv', 'lerp',
    # unary math
    'abs', 'absolute', 'exp', 'exp2', 'expm1', 'log', 'log2', 'log10', 'log1p', 'sqrt', 'rsqrt', 'sin', 'cos',
    'tan', 'asin', 'arcsin', 'acos', 'arccos', 'atan', 'arctan', 'sinh', 'cosh', 'tanh', 'asinh', 'arcsinh',
    'acosh', 'arccosh', 'atanh', 'arctanh', 'sigmoid', 'logit', 'relu', 'erf', 'erfc', 'erfinv', 'lgamma',
    'digamma', 'polygamma', 'deg2rad', 'rad2deg', 'nan_to_num',
    # rounding and sign
    'floor', 'ceil', 'round', 'trunc', 'fix', 'frac', 'sign', 'sgn', 'signbit',
    # binary math
    'atan2', 'arctan2', 'hypot', 'logaddexp', 'logaddexp2', 'copysign', 'xlogy', 'maximum', 'minimum', 'fmax',
    'fmin', 'clamp', 'clip', 'clamp_min', 'clamp_max', 'where',
    # tests and comparisons
    'isnan', 'isinf', 'isposinf', 'isneginf', 'isfinite', 'isreal', 'eq', 'ne', 'lt', 'le', 'gt', 'ge',
    'not_equal', 'less', 'less_equal', 'greater', 'greater_equal', 'isclose', 'allclose', 'equal',
    # logical and bitwise
    'logical_and', 'logical_or', 'logical_xor', 'logical_not', 'bitwise_and', 'bitwise_or', 'bitwise_xor',
    'bitwise_not', 'bitwise_left_shift', 'bitwise_right_shift',
]

import builtins
import math

from .. import _dtypes
from .._device import CPU
from .._tensor import Tensor
from ._op import Op, broadcast_failure
from ._promote import promote, result_np, scalar, scalar_dtype, to_float, weak_scalar, _SCALARS
from ._registry import method, inplace, apply_inplace, _can_cast, _torch_name

_wrap = Tensor._wrap
_from_np = _dtypes.from_np


# ---- helpers ---------------------------------------------------------------------------------
def _operand(v):
    """Tensor or Python scalar from a user's operand (NumPy scalars and arrays accepted)."""
    if isinstance(v, Tensor) or type(v) in _SCALARS:
        return v
    if hasattr(v, "__array__") and getattr(v, "ndim", 0) > 0:
        from .._factory import as_tensor
        return as_tensor(v)
    return scalar(v)


def _need_tensor(fname, v, pos=1, arg="input"):
    if not isinstance(v, Tensor):
        raise TypeError(f"{fname}(): argument '{arg}' (position {pos}) must be Tensor, not {type(v).__name__}")


def _not_impl(kernel, arr):
    raise NotImplementedError(f"\"{kernel}\" not implemented for '{_torch_name(_from_np(arr.dtype))}'")


def _promote_float(x, y):
    """promote(x, y), then integer/bool operands in the default float dtype (true division, atan2 ...)."""
    x, y = promote(x, y)
    if type(x) not in _SCALARS:
        if x.dtype.kind in "biu":
            x = to_float(x)
            if type(y) not in _SCALARS:
                y = to_float(y)
    elif y.dtype.kind in "biu":
        y = to_float(y)
    return x, y


def _no_bool(pair, kernel):
    """The promoted pair, refusing bool (PyTorch has no bool kernel for remainder, fmod ...)."""
    arr = pair[1] if type(pair[0]) in _SCALARS else pair[0]
    if arr.dtype.kind == "b":
        _not_impl(kernel, arr)
    return pair


def _zeros(g):
    from .._factory import zeros_like
    return zeros_like(g)


def _out(result, out, name="op"):
    """Honour an `out=` argument: cast the result into it, resizing it if its shape differs."""
    if out is None:
        return result
    dev = out._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(_out, result, out, name)
    from ..autograd.grad_mode import _enabled
    if _enabled[0] and (result._rg or out._rg):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad.")
    rd = result._data
    od = out._data
    if rd.dtype != od.dtype and not _can_cast(rd.dtype, od.dtype):
        raise RuntimeError(f"result type {_torch_name(_from_np(rd.dtype))} can't be cast to the desired output "
                           f"type {_torch_name(_from_np(od.dtype))}")
    if od.shape != rd.shape:
        if od.size:
            import warnings
            warnings.warn(f"An output with one or more elements was resized since it had shape {list(od.shape)}, "
                          f"which does not match the required output shape {list(rd.shape)}. This behavior is "
                          "deprecated, and in a future PyTorch release outputs will not be resized unless they "
                          "have zero elements. You can explicitly reuse an out tensor t by resizing it, inplace, "
                          "to zero elements with t.resize_(0).", UserWarning, stacklevel=3)
        od = out._data = out._device.xp.empty(rd.shape, dtype=od.dtype)
    od[...] = rd
    out._bump()
    return out


def _unary(op, name, *aliases, has_inplace=True):
    """Public `ember.<name>(input, *, out=None)`, Tensor method(s) and `<name>_` in-place forms."""
    apply = op.apply_one

    def fn(input, *, out=None):
        if not isinstance(input, Tensor):
            _need_tensor(name, input)
        r = apply(input)
        return r if out is None else _out(r, out, name)
    fn.__name__ = fn.__qualname__ = name

    def meth(self):        # the Tensor method: self is a tensor and there is no out=
        return apply(self)
    meth.__name__ = meth.__qualname__ = name
    method(name, *aliases)(meth)
    if has_inplace:
        for n in (name,) + aliases:
            inplace(fn, n + "_")
    return fn


# ---- arithmetic ------------------------------------------------------------------------------
class Add(Op):
    def forward(ctx, x, y, alpha=1):
        ctx.alpha = alpha
        if alpha == 1 and type(y) in _SCALARS and type(y) is not complex:
            dt = x.dtype
            if dt.kind == "f" and dt.itemsize > 2 and ctx.device is CPU:
                return ctx.xp.add(x, weak_scalar(y, dt))       # tensor + scalar, the common case
        x, y = promote(x, y)
        if alpha != 1:
            y = y * alpha
        return ctx.xp.add(x, y)

    def backward(ctx, g):
        return g, (g if ctx.alpha == 1 else g * ctx.alpha)


class Sub(Op):
    def forward(ctx, x, y, alpha=1):
        bx, by = _is_bool(x), _is_bool(y)
        if bx or by:
            if bx and by:
                raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                                   "Use the `^` or `logical_xor()` operator instead.")
            raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
                               "trying to invert a mask, use the `~` or `logical_not()` operator instead.")
        x, y = promote(x, y)
        ctx.alpha = alpha
        if alpha != 1:
            y = y * alpha
        return ctx.xp.subtract(x, y)

    def backward(ctx, g):
        return g, (-g if ctx.alpha == 1 else g * (-ctx.alpha))


def _is_half(dt):
    return dt.itemsize == 2 and dt.kind in "fV"


def _half_with_scalar(ufunc, x, s):
    """ufunc(x, s) for a float16/bfloat16 array x and a real Python scalar s: computed in float32 and
    rounded once to x's dtype, as torch multiplies and divides reduced-precision floats (the scalar is
    not first rounded to 16 bits)."""
    return ufunc(x.astype("float32"), s).astype(x.dtype)


# what a product with a Python scalar saves: the scalar itself, kept as `other` (a non-empty entry so
# that the graph is still freed after backward, as torch's saved wrapped number is)
_SCALAR_SAVED = ((2, None),)


class Mul(Op):
    _scalar_side = None     # 0 or 1: that operand is a Python scalar

    def forward(ctx, x, y):
        # keep only what the gradients need: with a scalar operand, the tensor side isn't needed
        if type(y) in _SCALARS:
            ctx._scalar_side = 1
            ctx.other = y
            ctx._saved = _SCALAR_SAVED
            if type(y) is not complex:
                dt = x.dtype
                if dt.kind == "f" and dt.itemsize > 2:      # promote's common case, inline
                    return ctx.xp.multiply(x, weak_scalar(y, dt) if ctx.device is CPU else y)
                if _is_half(dt):
                    return _half_with_scalar(ctx.xp.multiply, x, y)
        elif type(x) in _SCALARS:
            ctx._scalar_side = 0
            ctx.other = x
            ctx._saved = _SCALAR_SAVED
            if _is_half(y.dtype) and type(x) is not complex:
                return _half_with_scalar(ctx.xp.multiply, y, x)
        else:
            ctx.save_for_backward(x, y)
        x, y = promote(x, y)
        return ctx.xp.multiply(x, y)

    def backward(ctx, g):
        side = ctx._scalar_side
        if side is not None:
            return (g * ctx.other, None) if side else (None, g * ctx.other)
        x, y = ctx.saved_tensors
        n = ctx._needs
        return (g * y if n[0] else None), (g * x if n[1] else None)


class Div(Op):
    def forward(ctx, x, y, rounding_mode=None):
        xp = ctx.xp
        ctx.save_for_backward(x, y)
        ctx.mode = rounding_mode
        if rounding_mode is None:
            if type(y) in (builtins.int, builtins.float) and _is_half(x.dtype):
                return _half_with_scalar(xp.true_divide, x, y)
            x, y = _promote_float(x, y)
            return xp.true_divide(x, y)
        x, y = promote(x, y)
        kind = (y if type(x) in _SCALARS else x).dtype.kind
        if kind == "b":
            _not_impl("div_floor_cpu" if rounding_mode == "floor" else "div_trunc_cpu", y if type(x) in _SCALARS else x)
        if kind in "iu":
            _check_int_divisor(x, y)
        if rounding_mode == "trunc":
            return xp.trunc(xp.true_divide(x, y)) if kind in "fV" else _int_trunc_div(xp, x, y)
        if rounding_mode == "floor":
            return xp.floor_divide(x, y)
        raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                           f"'{rounding_mode}'")

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        n = ctx._needs
        if ctx.mode is not None:
            return (_zeros(g) if n[0] else None), (_zeros(g) if n[1] else None)
        gx = g / y if n[0] else None
        gy = -g * x / (y * y) if n[1] else None
        return gx, gy


def _is_bool(v):
    return v.dtype.kind == "b" if type(v) not in _SCALARS else type(v) is builtins.bool


def _check_int_divisor(x, y):
    """Integer division, remainder and fmod by zero raise, as in PyTorch (NumPy would give 0).
    x, y: a promoted pair (both of the result dtype, one may be a Python scalar)."""
    if (y if type(x) in _SCALARS else x).dtype.kind in "iu" and (not y if type(y) in _SCALARS else not y.all()):
        raise RuntimeError("ZeroDivisionError")


def _int_trunc_div(xp, x, y):
    q = xp.floor_divide(x, y)
    fix = (xp.remainder(x, y) != 0) & ((xp.asarray(x) < 0) != (xp.asarray(y) < 0))
    return q + fix


class Neg(Op):
    def forward(ctx, x):
        if x.dtype.kind == "b":
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
                               "to invert a mask, use the `~` or `logical_not()` operator instead.")
        return ctx.xp.negative(x)

    def backward(ctx, g):
        return -g


class Pow(Op):
    """x ** y for tensor x and scalar y (PowBackward0); subclasses name the other operand kinds."""

    def forward(ctx, x, y):
        xp = ctx.xp
        a, b = promote(x, y)
        ta, tb = type(a) in _SCALARS, type(b) in _SCALARS
        kind = (b if ta else a).dtype.kind
        if kind in "biu":
            if not ta and not tb and a.dtype.kind == "b":
                _not_impl("pow", a)
            if tb and b < 0:
                raise RuntimeError("Integers to negative integer powers are not allowed.")
            if not tb and (b < 0).any():
                return _save_pow(ctx, x, y, _int_pow_negative(xp, a, b))
        return _save_pow(ctx, x, y, xp.power(a, b))

    def backward(ctx, g):
        x, y, out = ctx.saved_tensors
        n = ctx._needs
        gx = gy = None
        if n[0]:
            if isinstance(y, Tensor):
                gx = where(y == 0, 0, g * y * x.pow(y - 1))
            elif y == 0:
                gx = _zeros(g)
            else:
                gx = g * (y * x.pow(y - 1))
        if n[1]:
            # d/dy x^y = x^y log x, taken as 0 where x == 0 and y >= 0
            if isinstance(x, Tensor):
                gy = g * where((x == 0) & (y >= 0), 0, out * x.log())
            else:
                lx = math.log(x) if x > 0 else (-math.inf if x == 0 else math.nan)
                gy = g * (where(y >= 0, 0, out * lx) if x == 0 else out * lx)
        return gx, gy


class PowTensorTensor(Pow):
    _name = "PowBackward1"


class PowScalarBase(Pow):
    _name = "PowBackward2"


def _save_pow(ctx, x, y, out):
    ctx.save_for_backward(x, y, out)
    return out


def _int_pow_negative(xp, a, b):
    """Integer powers with negative exponents as PyTorch computes them: 1, -1 or 0 (truncated)."""
    r = xp.power(a, xp.abs(b))
    unit = (xp.asarray(a) == 1) | (xp.asarray(a) == -1)
    return xp.where((b >= 0) | unit, r, 0).astype(r.dtype)


@method("add")
def add(input, other, *, alpha=1, out=None):
    r = Add.apply(input, _operand(other), alpha=alpha) if alpha != 1 else Add.apply(input, _operand(other))
    return r if out is None else _out(r, out, "add")


@method("sub", "subtract")
def sub(input, other, *, alpha=1, out=None):
    r = Sub.apply(input, _operand(other), alpha=alpha) if alpha != 1 else Sub.apply(input, _operand(other))
    return r if out is None else _out(r, out, "sub")


subtract = sub


@method("mul", "multiply")
def mul(input, other, *, out=None):
    r = Mul.apply(input, _operand(other))
    return r if out is None else _out(r, out, "mul")


multiply = mul


@method("div", "divide", "true_divide")
def div(input, other, *, rounding_mode=None, out=None):
    if rounding_mode is None:
        r = Div.apply(input, _operand(other))
    else:
        r = Div.apply(input, _operand(other), rounding_mode=rounding_mode)
    return r if out is None else _out(r, out, "div")


divide = true_divide = div


@method("floor_divide")
def floor_divide(input, other, *, out=None):
    r = Div.apply(input, _operand(other), rounding_mode="floor")
    return r if out is None else _out(r, out, "floor_divide")


def _pow(x, y):
    if isinstance(y, Tensor):
        return (PowTensorTensor if isinstance(x, Tensor) else PowScalarBase).apply(x, y)
    return Pow.apply(x, y)


@method("pow")
def pow(input, exponent, *, out=None):
    r = _pow(_operand(input), _operand(exponent))
    return r if out is None else _out(r, out, "pow")


@method("float_power")
def float_power(input, exponent, *, out=None):
    from .. import float64
    i = input.to(float64) if isinstance(input, Tensor) else builtins.float(input)
    e = exponent.to(float64) if isinstance(exponent, Tensor) else exponent
    return pow(i, e, out=out)


@method("square")
def square(input, *, out=None):
    return pow(input, 2, out=out)


neg = _unary(Neg, "neg", "negative")
negative = neg

for _f in (add, sub, mul, div, pow, floor_divide, square):
    inplace(_f)
Tensor.subtract_ = Tensor.sub_
Tensor.multiply_ = Tensor.mul_
Tensor.divide_ = Tensor.true_divide_ = Tensor.div_


def _float_power_(self, exponent):
    if self.dtype is not _dtypes.float64:
        raise RuntimeError(f"the base given to float_power_ has dtype {self.dtype.name.capitalize()} but the "
                           "operation's result requires dtype Double")
    return apply_inplace(self, float_power(self, exponent))


Tensor.float_power_ = _float_power_


@method
def positive(input):
    if input._data.dtype.kind == "b":
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


class Fmod(Op):
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        x, y = _no_bool(promote(x, y), "fmod_cpu")
        _check_int_divisor(x, y)
        return ctx.xp.fmod(x, y)

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        gy = -g * Div.apply(x, y, rounding_mode="trunc") if ctx._needs[1] else None
        return g, gy


class Remainder(Op):
    """Python's `%`: the result takes the divisor's sign."""

    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        x, y = _no_bool(promote(x, y), "remainder_cpu")
        _check_int_divisor(x, y)
        return ctx.xp.remainder(x, y)

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        gy = -g * Div.apply(x, y, rounding_mode="floor") if ctx._needs[1] else None
        return g, gy


@method
def fmod(input, other, *, out=None):
    r = Fmod.apply(input, _operand(other))
    return r if out is None else _out(r, out, "fmod")


@method
def remainder(input, other, *, out=None):
    r = Remainder.apply(_operand(input), _operand(other))
    return r if out is None else _out(r, out, "remainder")


class Addcmul(Op):
    def forward(ctx, x, t1, t2, value=1, dtype=None):
        ctx.save_for_backward(t1, t2)
        ctx.value = value
        p = ctx.xp.multiply(t1, t2, dtype=dtype)
        if value != 1:
            p *= value
        return ctx.xp.add(x, p, dtype=dtype)

    def backward(ctx, g):
        t1, t2 = ctx.saved_tensors
        n = ctx._needs
        gv = g if ctx.value == 1 else g * ctx.value
        return g, (gv * t2 if n[1] else None), (gv * t1 if n[2] else None)


class Addcdiv(Op):
    def forward(ctx, x, t1, t2, value=1, dtype=None):
        ctx.save_for_backward(t1, t2)
        ctx.value = value
        p = ctx.xp.true_divide(t1, t2, dtype=dtype)
        if value != 1:
            p *= value
        return ctx.xp.add(x, p, dtype=dtype)

    def backward(ctx, g):
        t1, t2 = ctx.saved_tensors
        n = ctx._needs
        gv = g if ctx.value == 1 else g * ctx.value
        return g, (gv / t2 if n[1] else None), (-gv * t1 / (t2 * t2) if n[2] else None)


def _addc(op, input, tensor1, tensor2, value, out, name):
    dt = _dtypes.result_type(input, tensor1, tensor2)
    if dt._cat < 2:
        value = builtins.int(value)     # integer results take the value truncated, as PyTorch
    if dt._cat == 0:
        _not_impl(name + "_cpu_out", input._data)
    r = op.apply(input, tensor1, tensor2, value=value, dtype=dt.np)
    return r if out is None else _out(r, out, name)


@method
def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    return _addc(Addcmul, input, tensor1, tensor2, value, out, "addcmul")


@method
def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    if tensor1.dtype._cat < 2 and tensor2.dtype._cat < 2:
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future  release addcdiv will perform "
            "a true division of tensor1 and tensor2. The historic addcdiv behavior can be implemented as "
            "(input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as "
            "(input + value * tensor1 / tensor2) for float inputs. The future addcdiv behavior is just the latter "
            "implementation: (input + value * tensor1 / tensor2), for all dtypes.")
    return _addc(Addcdiv, input, tensor1, tensor2, value, out, "addcdiv")


class Lerp(Op):
    """start + weight * (end - start), weight a number (LerpBackward0) or a tensor (LerpTensor)."""

    def forward(ctx, start, end, weight):
        xp = ctx.xp
        ctx.save_for_backward(start, end, weight)
        d = end - start
        if type(weight) in _SCALARS:
            return start + weight * d if builtins.abs(weight) < 0.5 else end - d * (1 - weight)
        w = weight.astype(start.dtype, copy=False)
        return xp.where(xp.abs(w) < 0.5, start + w * d, end - d * (1 - w))

    def backward(ctx, g):
        start, end, w = ctx.saved_tensors
        n = ctx._needs
        return ((g * (1 - w) if n[0] else None), (g * w if n[1] else None),
                (g * (end - start) if n[2] else None))


class LerpTensor(Lerp):
    _name = "LerpBackward1"


_CPP_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
              "int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
              "uint8": "unsigned char", "bool": "bool", "complex64": "c10::complex<float>",
              "complex128": "c10::complex<double>"}


@method
def lerp(input, end, weight, *, out=None):
    _need_tensor("lerp", end, 2, "end")
    d = input._data.dtype
    for arg, t in (("end", end), ("weight", weight)):
        if isinstance(t, Tensor) and t._data.dtype != d and (arg == "end" or t._data.ndim):
            raise RuntimeError(f"expected dtype {_CPP_NAMES[input.dtype.name]} for `{arg}` but got dtype "
                               f"{_CPP_NAMES[t.dtype.name]}")
    tensor_w = isinstance(weight, Tensor)
    if d.kind in "biu":
        _not_impl("lerp_kernel_tensor" if tensor_w else "lerp_kernel_scalar", input._data)
    r = (LerpTensor if tensor_w else Lerp).apply(input, end, weight if tensor_w else _operand(weight))
    return r if out is None else _out(r, out, "lerp")


# ---- unary math ------------------------------------------------------------------------------
class _Unary(Op):
    """y = xp.<ufunc>(x), integer/bool input computed in the default float dtype; saves x."""
    ufunc = None

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return getattr(ctx.xp, ctx.ufunc)(to_float(x))


class _UnaryOut(Op):
    """Like _Unary but saves the output (for derivatives written in terms of the result)."""
    ufunc = None

    def forward(ctx, x):
        y = getattr(ctx.xp, ctx.ufunc)(to_float(x))
        ctx.save_for_backward(y)
        return y


class Abs(Op):
    def forward(ctx, x):
        if x.dtype.kind == "b":
            _not_impl("abs_cpu", x)
        ctx.save_for_backward(x)
        return ctx.xp.abs(x)

    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * x.sign()


class Exp(_UnaryOut):
    ufunc = "exp"

    def backward(ctx, g):
        y, = ctx.saved_tensors
        return g * y


class Exp2(_UnaryOut):
    ufunc = "exp2"

    def backward(ctx, g):
        y, = ctx.saved_tensors
        return g * y * math.log(2.0)


class Expm1(_UnaryOut):
    ufunc = "expm1"

    def backward(ctx, g):
        y, = ctx.saved_tensors
        return g * (y + 1)


class Log(_Unary):
    ufunc = "log"

    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g / x


class Log2(_Unary):
    ufunc = "log2"

    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g / (x * math.log(2.0))


class Log10(_Unary):
    ufunc = "log10"

    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g / (x * math.log(10.0))


class Log1p(_Unary):
    _name = "Log1PBackward0"
    ufunc = "log1p"

    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g / (x + 1)


class Sqrt(_UnaryOut):
    ufunc = "sqrt"

    def backward(ctx, g):
        y, = ctx.saved_tensors
        return g / (2 * y)


class Rsqrt(Op):
    def forward(ctx, x):
        y = 1 / ctx.xp.sqrt(to_float(x))
        ctx.save_for_backward(y)
        return y

    def backward(ctx, g):
        y, = ctx.saved_tensors
        return -0.5 * g * y.pow(3)


class Reciprocal(Op):
    def forward(ctx, x):
        y = 1 / to_float(x)
        ctx.save_for_backward(y)
        return y

    def backward(ctx, g):
        y, = ctx.saved_tensors
        return -g * (y * y)


class Sin(_Unary):
    ufunc = "sin"

    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * x.cos()


class Cos(_Unary):
    ufunc = "cos"

    def backward(ctx, g):
        x, = ctx.saved_tensors
        return -g * x.sin()


class Tan(_UnaryOut):
    ufunc = "tan"

    def backward(ctx, g):
        y, = ctx.saved_tensors
        return g * (1 + y * y)


class Asin(_Unary):
    ufunc = "arcsin"

    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * (1 - x * x).rsqrt()


class Acos(_Unary):
    ufunc = "arccos"

    def backward(ctx, g):
        x, = ctx.saved_tensors
        return -g * (1 - x * x).rsqrt()


class Atan(_Unary):
    ufunc = "arctan"

    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g / (x * x + 1)


class Sinh(_Unary):
    ufunc = "sinh"

    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * x.cosh()


class Cosh(_Unary):
    ufunc = "cosh"

    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * x.sinh()


class Tanh(_UnaryOut):
    ufunc = "tanh"

    def backward(ctx, g):
        y, = ctx.saved_tensors
        return g * (1 - y * y)


class Asinh(_Unary):
    ufunc = "arcsinh"

    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * (x * x + 1).rsqrt()


class Acosh(_Unary):
    ufunc = "arccosh"

    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * (x * x - 1).rsqrt()


class Atanh(_Unary):
    ufunc = "arctanh"

    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g / (1 - x * x)


class Sigmoid(Op):
    def forward(ctx, x):
        xp = ctx.xp
        x = to_float(x)
        e = xp.exp(-xp.abs(x))          # never overflows
        r = 1 / (1 + e)
        y = xp.where(x >= 0, r, e * r)
        ctx.save_for_backward(y)
        return y

    def backward(ctx, g):
        y, = ctx.saved_tensors
        return g * y * (1 - y)


class Logit(Op):
    def forward(ctx, x, eps=None):
        xp = ctx.xp
        ctx.save_for_backward(x)
        ctx.eps = eps
        x = to_float(x)
        if eps is not None:
            x = xp.clip(x, eps, 1 - eps)
        return xp.log(x / (1 - x))

    def backward(ctx, g):
        x, = ctx.saved_tensors
        eps = ctx.eps
        d = g / (x * (1 - x))
        if eps is None:
            return where((x < 0) | (x > 1), math.nan, d)
        return where((x < eps) | (x > 1 - eps), 0, d)


class Relu(Op):
    _name = "ReluBackward0"

    def forward(ctx, x):
        dt = x.dtype
        if dt.kind == "b":
            raise RuntimeError("Boolean inputs not supported for relu")
        y = ctx.xp.maximum(x, ctx.device.backend.zero(dt))
        ctx.save_for_backward(y)
        return y

    def backward(ctx, g):
        y, = ctx.saved_tensors
        return ReluGrad.apply_one(g, y._data)


class ReluGrad(Op):
    """g where y > 0, else 0 (one op: it runs on every ReLU backward). y comes as an array: no gradient
    ever flows to it."""
    _name = "ThresholdBackwardBackward0"

    def forward(ctx, g, y):
        ctx.save_for_backward(y)
        return ctx.xp.multiply(g, y > ctx.device.backend.zero(y.dtype))

    def backward(ctx, gg):
        y, = ctx.saved_tensors
        return ReluGrad.apply_one(gg, y._data), None


class Erf(Op):
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.device.backend.special().erf(to_float(x))

    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * (2 / math.sqrt(math.pi)) * (-x * x).exp()


class Erfc(Op):
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.device.backend.special().erfc(to_float(x))

    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * (-2 / math.sqrt(math.pi)) * (-x * x).exp()


class Erfinv(Op):
    def forward(ctx, x):
        y = ctx.device.backend.special().erfinv(to_float(x))
        ctx.save_for_backward(y)
        return y

    def backward(ctx, g):
        y, = ctx.saved_tensors
        return g * (math.sqrt(math.pi) / 2) * (y * y).exp()


class Lgamma(Op):
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.device.backend.special().gammaln(to_float(x))

    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * x.digamma()


class Digamma(Op):
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.device.backend.special().digamma(to_float(x))

    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * Polygamma.apply(x, n=1)


class Polygamma(Op):
    def forward(ctx, x, n=1):
        ctx.save_for_backward(x)
        ctx.n = n
        return ctx.device.backend.special().polygamma(n, to_float(x))

    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * Polygamma.apply(x, n=ctx.n + 1)


class _Scale(Op):
    """x * factor in floating point (deg2rad, rad2deg)."""
    factor = None

    def forward(ctx, x):
        return ctx.xp.multiply(to_float(x), ctx.factor)

    def backward(ctx, g):
        return g * ctx.factor


class Deg2rad(_Scale):
    _name = "Deg2RadBackward0"
    factor = math.pi / 180


class Rad2deg(_Scale):
    _name = "Rad2DegBackward0"
    factor = 180 / math.pi


class NanToNum(Op):
    def forward(ctx, x, nan=0.0, posinf=None, neginf=None):
        ctx.save_for_backward(x)
        if x.dtype.kind not in "fV":
            return x.copy()
        return ctx.xp.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    def backward(ctx, g):
        x, = ctx.saved_tensors
        return where(x.isfinite(), g, 0)


abs = _unary(Abs, "abs", "absolute")
absolute = abs
exp = _unary(Exp, "exp")
exp2 = _unary(Exp2, "exp2")
expm1 = _unary(Expm1, "expm1")
log = _unary(Log, "log")
log2 = _unary(Log2, "log2")
log10 = _unary(Log10, "log10")
log1p = _unary(Log1p, "log1p")
sqrt = _unary(Sqrt, "sqrt")
rsqrt = _unary(Rsqrt, "rsqrt")
reciprocal = _unary(Reciprocal, "reciprocal")
sin = _unary(Sin, "sin")
cos = _unary(Cos, "cos")
tan = _unary(Tan, "tan")
asin = arcsin = _unary(Asin, "asin", "arcsin")
acos = arccos = _unary(Acos, "acos", "arccos")
atan = arctan = _unary(Atan, "atan", "arctan")
sinh = _unary(Sinh, "sinh")
cosh = _unary(Cosh, "cosh")
tanh = _unary(Tanh, "tanh")
asinh = arcsinh = _unary(Asinh, "asinh", "arcsinh")
acosh = arccosh = _unary(Acosh, "acosh", "arccosh")
atanh = arctanh = _unary(Atanh, "atanh", "arctanh")
sigmoid = _unary(Sigmoid, "sigmoid")
relu = _unary(Relu, "relu")
erf = _unary(Erf, "erf")
erfc = _unary(Erfc, "erfc")
erfinv = _unary(Erfinv, "erfinv")
lgamma = _unary(Lgamma, "lgamma")
digamma = _unary(Digamma, "digamma")
deg2rad = _unary(Deg2rad, "deg2rad")
rad2deg = _unary(Rad2deg, "rad2deg")


@method
def logit(input, eps=None, *, out=None):
    _need_tensor("logit", input)
    r = Logit.apply(input) if eps is None else Logit.apply(input, eps=eps)
    return r if out is None else _out(r, out, "logit")


def polygamma(n, input, *, out=None):
    _need_tensor("polygamma", input, 2)
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    r = (Digamma.apply(input) if n == 0 else Polygamma.apply(input, n=n))
    return r if out is None else _out(r, out, "polygamma")


Tensor.polygamma = lambda self, n: polygamma(n, self)
Tensor.polygamma_ = lambda self, n: apply_inplace(self, polygamma(n, self))


@method
def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    r = NanToNum.apply(input, nan=nan, posinf=posinf, neginf=neginf)
    return r if out is None else _out(r, out, "nan_to_num")


for _f in (logit, nan_to_num):
    inplace(_f)


# ---- rounding and sign -----------------------------------------------------------------------
class _Rounding(Op):
    """floor/ceil/trunc/round: integer input is returned unchanged, bool is refused; zero gradient."""
    ufunc = None
    kernel = None

    def forward(ctx, x):
        k = x.dtype.kind
        if k == "b":
            _not_impl(ctx.kernel, x)
        if k in "iu":
            return x.copy()
        return getattr(ctx.xp, ctx.ufunc)(x)

    def backward(ctx, g):
        return _zeros(g)


class Floor(_Rounding):
    ufunc, kernel = "floor", "floor_vml_cpu"


class Ceil(_Rounding):
    ufunc, kernel = "ceil", "ceil_vml_cpu"


class Trunc(_Rounding):
    ufunc, kernel = "trunc", "trunc_vml_cpu"


class Round(_Rounding):
    ufunc, kernel = "rint", "round_vml_cpu"     # half to even, as PyTorch


class RoundDecimals(Op):
    _name = "RoundBackward1"

    def forward(ctx, x, decimals=0):
        if x.dtype.kind in "biu":
            _not_impl("round_cpu", x)
        xp = ctx.xp
        if decimals >= 0:
            p = x.dtype.type(10.0 ** decimals)
            return xp.rint(x * p) / p
        p = x.dtype.type(10.0 ** -decimals)
        return xp.rint(x / p) * p

    def backward(ctx, g):
        return _zeros(g)


class Frac(Op):
    def forward(ctx, x):
        if x.dtype.kind in "biu":
            _not_impl("frac_cpu", x)
        return x - ctx.xp.trunc(x)

    def backward(ctx, g):
        return g


class Sign(Op):
    def forward(ctx, x):
        k = x.dtype.kind
        if k == "b":
            return x.copy()
        if k in "iu":
            return ctx.xp.sign(x)
        return ctx.xp.subtract(x > 0, x < 0, dtype=x.dtype)   # sign(nan) = 0, as PyTorch

    def backward(ctx, g):
        return _zeros(g)


class Sgn(Sign):
    pass


floor = _unary(Floor, "floor")
ceil = _unary(Ceil, "ceil")
trunc = fix = _unary(Trunc, "trunc", "fix")
frac = _unary(Frac, "frac")
sign = _unary(Sign, "sign")
sgn = _unary(Sgn, "sgn")


@method
def round(input, *, decimals=0, out=None):
    _need_tensor("round", input)
    r = Round.apply(input) if decimals == 0 else RoundDecimals.apply(input, decimals=decimals)
    return r if out is None else _out(r, out, "round")


inplace(round)


# ---- binary math -----------------------------------------------------------------------------
class Atan2(Op):
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        x, y = _promote_float(x, y)
        return ctx.xp.arctan2(x, y)

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        n = ctx._needs
        gd = g / (x * x + y * y)
        return (gd * y if n[0] else None), (gd * -x if n[1] else None)


class Hypot(Op):
    def forward(ctx, x, y):
        x, y = promote(x, y)
        if x.dtype.kind in "biu":
            _not_impl("hypot_cpu", x)
        out = ctx.xp.hypot(x, y)
        ctx.save_for_backward(x, y, out)
        return out

    def backward(ctx, g):
        x, y, out = ctx.saved_tensors
        n = ctx._needs
        return (g * x / out if n[0] else None), (g * y / out if n[1] else None)


class Logaddexp(Op):
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        x, y = promote(x, y)
        if x.dtype.kind in "biu":
            _not_impl("logaddexp_cpu", x)
        return ctx.xp.logaddexp(x, y)

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        n = ctx._needs
        return ((g / (1 + (y - x).exp()) if n[0] else None), (g / (1 + (x - y).exp()) if n[1] else None))


class Logaddexp2(Op):
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        x, y = promote(x, y)
        if x.dtype.kind in "biu":
            _not_impl("logaddexp2_cpu", x)
        return ctx.xp.logaddexp2(x, y)

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        n = ctx._needs
        return ((g / (1 + _pow(2, y - x)) if n[0] else None), (g / (1 + _pow(2, x - y)) if n[1] else None))


class Copysign(Op):
    def forward(ctx, x, y):
        a, b = _promote_float(x, y)
        out = ctx.xp.copysign(a, b)
        ctx.save_for_backward(x, out)
        return out

    def backward(ctx, g):
        x, out = ctx.saved_tensors
        n = ctx._needs
        gx = g * where(x == 0, 0, out / x) if n[0] else None
        return gx, (_zeros(g) if n[1] else None)


class Xlogy(Op):
    def forward(ctx, x, y):
        xp = ctx.xp
        ctx.save_for_backward(x, y)
        a, b = _promote_float(x, y)
        dt = (b if type(a) in _SCALARS else a).dtype
        a, b = xp.asarray(a, dtype=dt), xp.asarray(b, dtype=dt)
        return xp.where((a == 0) & ~xp.isnan(b), dt.type(0), a * xp.log(b))

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        n = ctx._needs
        gx = gy = None
        if n[0]:
            gx = where((x == 0) & (y <= 0), 0, Xlogy.apply(g, y))
        if n[1]:
            gy = g * x / y
        return gx, gy


class Maximum(Op):
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        x, y = promote(x, y)
        return ctx.xp.maximum(x, y)

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return _split_ties(ctx, g, x, y, x < y, x > y)


class Minimum(Op):
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        x, y = promote(x, y)
        return ctx.xp.minimum(x, y)

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return _split_ties(ctx, g, x, y, x > y, x < y)


def _split_ties(ctx, g, x, y, x_loses, y_loses):
    """Gradient of max/min: to the winner, halved on ties (both get it where a NaN is involved)."""
    n = ctx._needs
    shared = where(x == y, g / 2, g)
    return ((where(x_loses, 0, shared) if n[0] else None), (where(y_loses, 0, shared) if n[1] else None))


class Fmax(Op):
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        x, y = promote(x, y)
        return ctx.xp.fmax(x, y)

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return _nan_ignoring_grads(ctx, g, (x >= y) | y.isnan())


class Fmin(Op):
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        x, y = promote(x, y)
        return ctx.xp.fmin(x, y)

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return _nan_ignoring_grads(ctx, g, (x <= y) | y.isnan())


def _nan_ignoring_grads(ctx, g, x_wins):
    n = ctx._needs
    return ((where(x_wins, g, 0) if n[0] else None), (where(x_wins, 0, g) if n[1] else None))


def _binary(op, name, *aliases, other_tensor=True, has_inplace=True):
    """Public `ember.<name>(input, other, *, out=None)` with Tensor method(s) and in-place forms."""
    apply = op.apply

    def fn(input, other, *, out=None):
        _need_tensor(name, input)
        if other_tensor:
            _need_tensor(name, other, 2, "other")
        else:
            other = _operand(other)
        r = apply(input, other)
        return r if out is None else _out(r, out, name)
    fn.__name__ = fn.__qualname__ = name
    method(name, *aliases)(fn)
    if has_inplace:
        for n in (name,) + aliases:
            inplace(fn, n + "_")
    return fn


atan2 = arctan2 = _binary(Atan2, "atan2", "arctan2")
hypot = _binary(Hypot, "hypot")
logaddexp = _binary(Logaddexp, "logaddexp", has_inplace=False)
logaddexp2 = _binary(Logaddexp2, "logaddexp2", has_inplace=False)
copysign = _binary(Copysign, "copysign", other_tensor=False)
maximum = _binary(Maximum, "maximum", has_inplace=False)
minimum = _binary(Minimum, "minimum", has_inplace=False)
fmax = _binary(Fmax, "fmax", has_inplace=False)
fmin = _binary(Fmin, "fmin", has_inplace=False)


@method
def xlogy(input, other, *, out=None):
    r = Xlogy.apply(_operand(input), _operand(other))
    return r if out is None else _out(r, out, "xlogy")


for _f in (fmod, remainder, addcmul, addcdiv, lerp, xlogy):
    inplace(_f)


# ---- clamp -----------------------------------------------------------------------------------
class Clamp(Op):
    """clamp with number bounds (either may be None); subclasses name the other overloads."""
    _name = "ClampBackward1"

    def forward(ctx, x, lo, hi, dtype=None):
        xp = ctx.xp
        ctx.save_for_backward(x, lo, hi)
        if x.dtype != dtype:
            x = x.astype(dtype)
        if lo is not None:
            x = xp.maximum(x, lo if type(lo) in _SCALARS else lo.astype(dtype, copy=False))
        if hi is not None:
            x = xp.minimum(x, hi if type(hi) in _SCALARS else hi.astype(dtype, copy=False))
        return x

    def backward(ctx, g):
        x, lo, hi = ctx.saved_tensors
        n = ctx._needs
        if lo is None:
            keep = x <= hi
        elif hi is None:
            keep = x >= lo
        else:
            keep = (x >= lo) & (x <= hi)
        gx = where(keep, g, 0) if n[0] else None
        glo = ghi = None
        if n[1]:
            glo = where((x < lo) & (lo < hi) if hi is not None else x < lo, g, 0)
        if n[2]:
            ghi = where((x > hi) | (hi < lo) if lo is not None else x > hi, g, 0)
        return gx, glo, ghi


class ClampTensor(Clamp):
    _name = "ClampBackward0"


class ClampMin(Clamp):
    _name = "ClampMinBackward0"


class ClampMinTensor(Clamp):
    _name = "ClampMinBackward1"


class ClampMax(Clamp):
    _name = "ClampMaxBackward0"


class ClampMaxTensor(Clamp):
    _name = "ClampMaxBackward1"


def _clamp(op, op_t, input, lo, hi):
    if isinstance(lo, Tensor) or isinstance(hi, Tensor):
        if (lo is not None and not isinstance(lo, Tensor)) or (hi is not None and not isinstance(hi, Tensor)):
            raise TypeError("clamp() received an invalid combination of arguments - got (Tensor, min, max) "
                            "mixing a Tensor and a number; pass both bounds as Tensors or both as numbers")
        dt = _dtypes.result_type(input, *(b for b in (lo, hi) if b is not None)).np
        if dt.kind == "b" and lo is not None and hi is not None:
            _not_impl("clamp_cpu", input._data)
        return op_t.apply(input, lo, hi, dtype=dt)
    dt = input._data.dtype
    for b in (lo, hi):
        if b is not None:
            b = _operand(b)
            dt = scalar_dtype(dt, b)
    return op.apply(input, None if lo is None else _operand(lo), None if hi is None else _operand(hi), dtype=dt)


@method("clamp", "clip")
def clamp(input, min=None, max=None, *, out=None):
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    _need_tensor("clamp", input)
    r = _clamp(Clamp, ClampTensor, input, min, max)
    return r if out is None else _out(r, out, "clamp")


clip = clamp


@method
def clamp_min(input, min, *, out=None):
    r = _clamp(ClampMin, ClampMinTensor, input, min, None)
    return r if out is None else _out(r, out, "clamp_min")


@method
def clamp_max(input, max, *, out=None):
    r = _clamp(ClampMax, ClampMaxTensor, input, None, max)
    return r if out is None else _out(r, out, "clamp_max")


for _f in (clamp, clamp_min, clamp_max):
    inplace(_f)
Tensor.clip_ = Tensor.clamp_


# ---- where -----------------------------------------------------------------------------------
class Where(Op):
    def forward(ctx, cond, x, y, dtype=None):
        xp = ctx.xp
        ctx.save_for_backward(cond)
        return xp.where(cond, xp.asarray(x, dtype=dtype), xp.asarray(y, dtype=dtype))

    def backward(ctx, g):
        cond, = ctx.saved_tensors
        n = ctx._needs
        return None, (where(cond, g, 0) if n[1] else None), (where(cond, 0, g) if n[2] else None)


def where(condition, input=None, other=None, *, out=None):
    """where(cond, x, y): x where cond else y (numbers allowed); where(cond): nonzero(as_tuple=True)."""
    dev = condition._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(where, condition, input, other, out=out)
    if input is None and other is None:
        xp = condition._device.xp
        return tuple(_wrap(i.astype("int64", copy=False), condition._device)
                     for i in xp.nonzero(xp.atleast_1d(condition._data)))
    if condition._data.dtype.kind != "b":
        raise RuntimeError("where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{_torch_name(condition.dtype)}")
    input, other = _operand(input), _operand(other)
    a = input._data if isinstance(input, Tensor) else input
    b = other._data if isinstance(other, Tensor) else other
    if type(a) in _SCALARS and type(b) in _SCALARS:
        dt = _dtypes.result_type(a, b).np
    else:
        dt = result_np(a, b)
    r = Where.apply(condition, input, other, dtype=dt)
    return r if out is None else _out(r, out, "where")


Tensor.where = lambda self, condition, other: where(condition, self, other)


# ---- tests of values (bool results, no gradient) ----------------------------------------------
def _test(name, fn):
    def f(input):
        _need_tensor(name, input)
        dev = input._device
        if dev is not CPU and dev.needs_switch():
            return dev.call(f, input)
        return _wrap(fn(dev.xp, input._data), dev)
    f.__name__ = f.__qualname__ = name
    return method(name)(f)


def _is_float(a):
    return a.dtype.kind in "fcV"


isnan = _test("isnan", lambda xp, a: xp.isnan(a) if _is_float(a) else xp.zeros(a.shape, dtype=bool))
isinf = _test("isinf", lambda xp, a: xp.isinf(a) if _is_float(a) else xp.zeros(a.shape, dtype=bool))
isposinf = _test("isposinf", lambda xp, a: a == math.inf if _is_float(a) else xp.zeros(a.shape, dtype=bool))
isneginf = _test("isneginf", lambda xp, a: a == -math.inf if _is_float(a) else xp.zeros(a.shape, dtype=bool))
isfinite = _test("isfinite", lambda xp, a: xp.isfinite(a) if _is_float(a) else xp.ones(a.shape, dtype=bool))
isreal = _test("isreal", lambda xp, a: a.imag == 0 if a.dtype.kind == "c" else xp.ones(a.shape, dtype=bool))
signbit = _test("signbit", lambda xp, a: xp.signbit(a) if _is_float(a) else xp.less(a, 0) if a.dtype.kind == "i"
                else xp.zeros(a.shape, dtype=bool))


# ---- comparisons -----------------------------------------------------------------------------
def _compare(name, ufunc):
    def cmp(input, other, *, out=None):
        t, o = input, _operand(other)       # t: the tensor whose device computes, o: the other operand
        swapped = not isinstance(t, Tensor)
        if swapped:
            t, o = o, t
        x = t._data
        y = o._data if isinstance(o, Tensor) else o
        lift = isinstance(o, Tensor) and o._device is not t._device   # a 0-d CPU tensor joins the other's device
        if lift and not (o._device.type == "cpu" and not y.ndim):
            if t._device.type != "cpu" or x.ndim:
                from ._op import _mixed_devices
                _mixed_devices(t._device, o, name, (t, o))
            t, o, swapped = o, t, not swapped
            x, y = t._data, x
        dev = t._device
        if dev is not CPU and dev.needs_switch():
            return dev.call(cmp, input, other, out=out)
        xp = dev.xp
        if lift:
            y = xp.asarray(y)
        r = result_np(x, y)
        if r.kind == "c" and name in ("lt", "le", "gt", "ge"):
            raise NotImplementedError(f'"{name}_cpu" not implemented for \'{_torch_name(_from_np(r))}\'')
        if x.dtype is not r:
            x = x.astype(r)
        if type(y) not in _SCALARS and y.dtype is not r:
            y = y.astype(r)
        try:
            res = getattr(xp, ufunc)(y, x) if swapped else getattr(xp, ufunc)(x, y)
        except ValueError as e:
            raise broadcast_failure(e, (input, other))
        if type(res) is not xp.ndarray:
            res = xp.asarray(res)
        r = _wrap(res, dev)
        return r if out is None else _out(r, out, name)
    cmp.__name__ = name
    return cmp


eq = method(_compare("eq", "equal"))
ne = method("ne", "not_equal")(_compare("ne", "not_equal"))
lt = method("lt", "less")(_compare("lt", "less"))
le = method("le", "less_equal")(_compare("le", "less_equal"))
gt = method("gt", "greater")(_compare("gt", "greater"))
ge = method("ge", "greater_equal")(_compare("ge", "greater_equal"))
not_equal, less, less_equal, greater, greater_equal = ne, lt, le, gt, ge


def _cmp_inplace(fn):
    def f(self, other):
        dev = self._device
        if dev is not CPU and dev.needs_switch():
            return dev.call(f, self, other)
        r = fn(self, other)
        self._data[...] = r._data.astype(self._data.dtype)
        self._bump()
        return self
    return f


for _n, _f in (("eq_", eq), ("ne_", ne), ("lt_", lt), ("le_", le), ("gt_", gt), ("ge_", ge)):
    setattr(Tensor, _n, _cmp_inplace(_f))
Tensor.not_equal_, Tensor.less_, Tensor.less_equal_ = Tensor.ne_, Tensor.lt_, Tensor.le_
Tensor.greater_, Tensor.greater_equal_ = Tensor.gt_, Tensor.ge_


@method
def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(isclose, input, other, rtol, atol, equal_nan)
    a, b = input._data, other._data
    if a.dtype != b.dtype:
        raise RuntimeError(f"{_torch_name(input.dtype)} did not match {_torch_name(other.dtype)}")
    if rtol < 0:
        raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol}")
    if atol < 0:
        raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol}")
    xp = input._device.xp
    try:
        close = a == b
    except ValueError as e:
        raise broadcast_failure(e, (input, other))
    if _is_float(a):
        if equal_nan:
            close |= xp.isnan(a) & xp.isnan(b)
    elif a.dtype.kind != "b":
        a, b = to_float(a), to_float(b)
    if (rtol or atol) and a.dtype.kind != "b":
        err = xp.abs(a - b)
        close |= xp.isfinite(err) & (err <= atol + rtol * xp.abs(b))
    return _wrap(xp.asarray(close), input._device)


@method
def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(allclose, input, other, rtol, atol, equal_nan)
    return builtins.bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


@method
def equal(input, other):
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(equal, input, other)
    if input._data.shape != other._data.shape:
        return False
    return builtins.bool(eq(input, other)._data.all())


# ---- logical and bitwise ---------------------------------------------------------------------
def _logical(name, ufunc):
    def fn(input, other, *, out=None):
        _need_tensor(name, input)
        _need_tensor(name, other, 2, "other")
        dev = input._device
        if dev is not CPU and dev.needs_switch():
            return dev.call(fn, input, other, out=out)
        try:
            r = _wrap(getattr(input._device.xp, ufunc)(input._data, other._data), input._device)
        except ValueError as e:
            raise broadcast_failure(e, (input, other))
        return r if out is None else _out(r, out, name)
    fn.__name__ = fn.__qualname__ = name
    method(name)(fn)
    inplace(fn, name + "_")
    return fn


logical_and = _logical("logical_and", "logical_and")
logical_or = _logical("logical_or", "logical_or")
logical_xor = _logical("logical_xor", "logical_xor")


@method
def logical_not(input, *, out=None):
    _need_tensor("logical_not", input)
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(logical_not, input, out=out)
    r = _wrap(input._device.xp.logical_not(input._data), input._device)
    return r if out is None else _out(r, out, "logical_not")


inplace(logical_not)


def _int_binary(kernel, ufunc, x, y):
    """Bitwise op on integer/bool operands (Tensors or numbers)."""
    dev = x._device if isinstance(x, Tensor) else y._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(_int_binary, kernel, ufunc, x, y)
    a = x._data if isinstance(x, Tensor) else x
    b = y._data if isinstance(y, Tensor) else y
    a, b = promote(a, b)
    arr = b if type(a) in _SCALARS else a
    if arr.dtype.kind not in "biu":
        _not_impl(kernel, arr)
    xp = dev.xp
    try:
        if ufunc == "and":
            r = xp.bitwise_and(a, b)
        elif ufunc == "or":
            r = xp.bitwise_or(a, b)
        elif ufunc == "xor":
            r = xp.bitwise_xor(a, b)
        else:
            r = _shift(xp, a, b, ufunc == "lshift")
    except ValueError as e:
        raise broadcast_failure(e, (x, y))
    return _wrap(xp.asarray(r), dev)


def _shift(xp, a, b, left):
    """PyTorch's shifts: bool operands count as int64; a shift by >= the bit width (or < 0) gives 0
    (or -1 for a right shift of a negative number)."""
    if type(a) not in _SCALARS and a.dtype.kind == "b":
        a = a.astype("int64")
    if type(b) not in _SCALARS and b.dtype.kind == "b":
        b = b.astype("int64")
    bits = (b if type(a) in _SCALARS else a).dtype.itemsize * 8
    bad = (xp.asarray(b) >= bits) | (xp.asarray(b) < 0)
    safe = xp.where(bad, 0, b) if bad.ndim else (0 if bad else b)
    r = xp.left_shift(a, safe) if left else xp.right_shift(a, safe)
    if bad.any():
        fill = 0 if left else xp.where(xp.asarray(a) < 0, -1, 0)
        r = xp.where(bad, fill, r).astype(r.dtype)
    return r


def _bitwise(name, kernel, op):
    def fn(input, other, *, out=None):
        r = _int_binary(kernel, op, _operand(input), _operand(other))
        return r if out is None else _out(r, out, name)
    fn.__name__ = fn.__qualname__ = name
    method(name)(fn)
    inplace(fn, name + "_")
    return fn


bitwise_and = _bitwise("bitwise_and", "bitwise_and_cpu", "and")
bitwise_or = _bitwise("bitwise_or", "bitwise_or_cpu", "or")
bitwise_xor = _bitwise("bitwise_xor", "bitwise_xor_cpu", "xor")
bitwise_left_shift = _bitwise("bitwise_left_shift", "lshift_cpu", "lshift")
bitwise_right_shift = _bitwise("bitwise_right_shift", "rshift_cpu", "rshift")


@method
def bitwise_not(input, *, out=None):
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(bitwise_not, input, out=out)
    a = input._data
    if a.dtype.kind not in "biu":
        _not_impl("bitwise_not_cpu", a)
    xp = input._device.xp
    r = _wrap(xp.logical_not(a) if a.dtype.kind == "b" else xp.invert(a), input._device)
    return r if out is None else _out(r, out, "bitwise_not")


inplace(bitwise_not)


def _invert(self):
    if self._data.dtype.kind not in "biu":
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
    return bitwise_not(self)


# ---- Python operators ------------------------------------------------------------------------
def _ip(fn):
    """In-place operator from an out-of-place function of (self, other)."""
    return lambda self, other: apply_inplace(self, fn(self, other))


def _bit_op(kernel, op, reflected=False):
    if reflected:
        return lambda self, other: _int_binary(kernel, op, _operand(other), self)
    return lambda self, other: _int_binary(kernel, op, self, _operand(other))


def _arith(op):
    """The operator and its reflected form for an Op of (x, y); plain operands skip _operand, and an
    operand no tensor can meet gives NotImplemented (Python then names the operator and both types)."""
    apply = op.apply
    apply_one = op.apply_one

    def forward(self, other):
        if type(other) in _SCALARS:
            return apply_one(self, other)
        if type(other) is not Tensor:
            other = _operand_or_none(other)
            if other is None:
                return NotImplemented
        return apply(self, other)

    def reflected(self, other):
        if type(other) not in _PLAIN:
            other = _operand_or_none(other)
            if other is None:
                return NotImplemented
        return apply(other, self)
    return forward, reflected


def _operand_or_none(v):
    try:
        return _operand(v)
    except TypeError:
        return None


def _rtruediv(self, other):
    """`other / tensor` as torch defines it: the reciprocal times other (a MulBackward0 node)."""
    if type(other) not in _PLAIN:
        other = _operand_or_none(other)
        if other is None:
            return NotImplemented
    return self.reciprocal() * other


_PLAIN = _SCALARS | {Tensor}
Tensor.__add__, Tensor.__radd__ = _arith(Add)
Tensor.__sub__, Tensor.__rsub__ = _arith(Sub)
Tensor.__mul__, Tensor.__rmul__ = _arith(Mul)
Tensor.__truediv__ = _arith(Div)[0]
Tensor.__rtruediv__ = Tensor.__rdiv__ = _rtruediv
Tensor.__floordiv__ = lambda self, other: Div.apply(self, _operand(other), rounding_mode="floor")
Tensor.__rfloordiv__ = lambda self, other: Div.apply(_operand(other), self, rounding_mode="floor")
Tensor.__mod__ = lambda self, other: Remainder.apply(self, _operand(other))
Tensor.__rmod__ = lambda self, other: Remainder.apply(_operand(other), self)
Tensor.__pow__ = lambda self, other: _pow(self, _operand(other))
Tensor.__rpow__ = lambda self, other: _pow(_operand(other), self)
Tensor.__neg__ = lambda self: Neg.apply(self)
Tensor.__pos__ = positive
Tensor.__abs__ = lambda self: Abs.apply(self)
Tensor.__invert__ = _invert
Tensor.__and__ = _bit_op("bitwise_and_cpu", "and")
Tensor.__rand__ = _bit_op("bitwise_and_cpu", "and", True)
Tensor.__or__ = _bit_op("bitwise_or_cpu", "or")
Tensor.__ror__ = _bit_op("bitwise_or_cpu", "or", True)
Tensor.__xor__ = _bit_op("bitwise_xor_cpu", "xor")
Tensor.__rxor__ = _bit_op("bitwise_xor_cpu", "xor", True)
Tensor.__lshift__ = _bit_op("lshift_cpu", "lshift")
Tensor.__rlshift__ = _bit_op("lshift_cpu", "lshift", True)
Tensor.__rshift__ = _bit_op("rshift_cpu", "rshift")
Tensor.__rrshift__ = _bit_op("rshift_cpu", "rshift", True)
for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "and", "or", "xor", "lshift", "rshift"):
    setattr(Tensor, f"__i{_name}__", _ip(getattr(Tensor, f"__{_name}__")))

Tensor.__eq__ = lambda self, other: eq(self, other) if _comparable(other) else NotImplemented
Tensor.__ne__ = lambda self, other: ne(self, other) if _comparable(other) else NotImplemented
Tensor.__lt__ = lambda self, other: lt(self, other)
Tensor.__le__ = lambda self, other: le(self, other)
Tensor.__gt__ = lambda self, other: gt(self, other)
Tensor.__ge__ = lambda self, other: ge(self, other)
Tensor.__hash__ = object.__hash__


def _comparable(v):
    return isinstance(v, Tensor) or type(v) in _SCALARS or hasattr(v, "__array__") or hasattr(v, "dtype")
