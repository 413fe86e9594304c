"""Elementwise ops: arithmetic, unary math, comparisons. Each op is forward + backward in one class."""

# public names exported as ember.<name>; add each new public function here
__all__ = ['add', 'sub', 'subtract', 'mul', 'multiply', 'div', 'divide', 'true_divide', 'floor_divide', 'neg', 'negative', 'pow', 'float_power', 'exp', 'log', 'relu', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'not_equal', 'less', 'less_equal', 'greater', 'greater_equal']

import builtins

from .._tensor import Tensor
from ._op import Op
from ._promote import promote, result_np, scalar, to_float, _SCALARS
from ._registry import method, inplace, apply_inplace

_wrap = Tensor._wrap


def _operand(v):
    """Tensor or Python scalar from a user's operand (NumPy scalars and arrays accepted)."""
    if isinstance(v, Tensor) or type(v) in _SCALARS:
        return v
    if hasattr(v, "__array__") and getattr(v, "ndim", 0) > 0:
        from .._factory import as_tensor
        return as_tensor(v)
    return scalar(v)


# ---- arithmetic ---------------------------------------------------------------------------
class Add(Op):
    def forward(ctx, x, y, alpha=1):
        x, y = promote(x, y)
        ctx.alpha = alpha
        if alpha != 1:
            y = y * alpha
        return ctx.xp.add(x, y)

    def backward(ctx, g):
        return g, (g if ctx.alpha == 1 else g * ctx.alpha)


class Sub(Op):
    def forward(ctx, x, y, alpha=1):
        x, y = promote(x, y)
        if x.dtype.kind == "b" if hasattr(x, "dtype") else False:
            raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                               "Use the `^` or `logical_xor()` operator instead.")
        ctx.alpha = alpha
        if alpha != 1:
            y = y * alpha
        return ctx.xp.subtract(x, y)

    def backward(ctx, g):
        return g, (-g if ctx.alpha == 1 else g * (-ctx.alpha))


class Mul(Op):
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        x, y = promote(x, y)
        return ctx.xp.multiply(x, y)

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        n = ctx._needs
        return (g * y if n[0] else None), (g * x if n[1] else None)


class Div(Op):
    def forward(ctx, x, y, rounding_mode=None):
        xp = ctx.xp
        ctx.save_for_backward(x, y)
        x, y = promote(x, y)
        ctx.mode = rounding_mode
        if rounding_mode is None:
            if type(x) is not builtins.float and type(x) not in _SCALARS and x.dtype.kind in "biu":
                x = to_float(x)
            elif type(x) in _SCALARS and y.dtype.kind in "biu":
                y = to_float(y)
            return xp.true_divide(x, y)
        if rounding_mode == "trunc":
            r = xp.true_divide(x, y)
            return xp.trunc(r).astype(r.dtype) if r.dtype.kind == "f" else _int_trunc_div(xp, x, y)
        if rounding_mode == "floor":
            return xp.floor_divide(x, y)
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'")

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        if ctx.mode is not None:
            return (g * 0 if ctx._needs[0] else None), (g * 0 if ctx._needs[1] else None)
        n = ctx._needs
        gx = g / y if n[0] else None
        gy = -g * x / (y * y) if n[1] else None
        return gx, gy


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
    def forward(ctx, x, y):
        xp = ctx.xp
        ctx.save_for_backward(x, y)
        x, y = promote(x, y)
        if type(y) is builtins.int and hasattr(x, "dtype") and x.dtype.kind in "iu" and y < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        out = xp.power(x, y)
        ctx.save_for_backward(ctx._to_save[0], ctx._to_save[1], out)
        return out

    def backward(ctx, g):
        x, y, out = ctx.saved_tensors
        n = ctx._needs
        gx = gy = None
        if n[0]:
            if isinstance(y, Tensor):
                gx = g * y * x.pow(y - 1)
            elif y == 0:
                gx = g * 0
            elif y == 2:
                gx = g * 2 * x
            else:
                gx = g * (y * x.pow(y - 1))
        if n[1]:
            # d/dy x^y = x^y log x  (0 where x == 0 and y >= 0, as PyTorch)
            lx = x.log() if isinstance(x, Tensor) else _wrap(out._device.xp.log(out._device.xp.asarray(x, dtype=out._data.dtype)), out._device)
            term = g * out * lx
            if isinstance(x, Tensor):
                term = term.masked_fill((x == 0) & (y >= 0), 0)
            elif x == 0:
                term = term * 0
            gy = term
        return gx, gy


@method("add")
def add(input, other, *, alpha=1, out=None):
    r = Add.apply(input, _operand(other), alpha=alpha) if alpha != 1 else Add.apply(input, _operand(other))
    return _out(r, out)


@method("sub", "subtract")
def sub(input, other, *, alpha=1, out=None):
    r = Sub.apply(input, _operand(other), alpha=alpha) if alpha != 1 else Sub.apply(input, _operand(other))
    return _out(r, out)


subtract = sub


@method("mul", "multiply")
def mul(input, other, *, out=None):
    return _out(Mul.apply(input, _operand(other)), out)


multiply = mul


@method("div", "divide", "true_divide")
def div(input, other, *, rounding_mode=None, out=None):
    if rounding_mode is None:
        return _out(Div.apply(input, _operand(other)), out)
    return _out(Div.apply(input, _operand(other), rounding_mode=rounding_mode), out)


divide = true_divide = div


@method("floor_divide")
def floor_divide(input, other, *, out=None):
    return _out(Div.apply(input, _operand(other), rounding_mode="floor"), out)


@method("neg", "negative")
def neg(input, *, out=None):
    return _out(Neg.apply(input), out)


negative = neg


@method("pow")
def pow(input, exponent, *, out=None):
    return _out(Pow.apply(_operand(input), _operand(exponent)), out)


def float_power(input, exponent):
    from .. import float64
    i = input.to(float64) if isinstance(input, Tensor) else builtins.float(input)
    e = exponent.to(float64) if isinstance(exponent, Tensor) else exponent
    return pow(i, e)


def _out(result, out):
    """Honour an `out=` argument: copy the result into it (resizing an empty one)."""
    if out is None:
        return result
    if out._data.shape != result._data.shape:
        if out._data.size == 0 or True:
            out._data = out._device.xp.empty(result._data.shape, dtype=out._data.dtype)
    out._data[...] = result._data.astype(out._data.dtype, copy=False)
    out._bump()
    return out


for _f in (add, sub, mul, div, neg, pow, floor_divide):
    inplace(_f)
Tensor.subtract_ = Tensor.sub_
Tensor.multiply_ = Tensor.mul_
Tensor.divide_ = Tensor.true_divide_ = Tensor.div_
Tensor.negative_ = Tensor.neg_

# operators
Tensor.__add__ = lambda self, other: Add.apply(self, _operand(other))
Tensor.__radd__ = lambda self, other: Add.apply(_operand(other), self)
Tensor.__sub__ = lambda self, other: Sub.apply(self, _operand(other))
Tensor.__rsub__ = lambda self, other: Sub.apply(_operand(other), self)
Tensor.__mul__ = lambda self, other: Mul.apply(self, _operand(other))
Tensor.__rmul__ = lambda self, other: Mul.apply(_operand(other), self)
Tensor.__truediv__ = lambda self, other: Div.apply(self, _operand(other))
Tensor.__rtruediv__ = lambda self, other: Div.apply(_operand(other), self)
Tensor.__floordiv__ = lambda self, other: Div.apply(self, _operand(other), rounding_mode="floor")
Tensor.__rfloordiv__ = lambda self, other: Div.apply(_operand(other), self, rounding_mode="floor")
Tensor.__pow__ = lambda self, other: Pow.apply(self, _operand(other))
Tensor.__rpow__ = lambda self, other: Pow.apply(_operand(other), self)
Tensor.__neg__ = lambda self: Neg.apply(self)
Tensor.__pos__ = lambda self: self
Tensor.__iadd__ = lambda self, other: apply_inplace(self, Add.apply(self, _operand(other)))
Tensor.__isub__ = lambda self, other: apply_inplace(self, Sub.apply(self, _operand(other)))
Tensor.__imul__ = lambda self, other: apply_inplace(self, Mul.apply(self, _operand(other)))
Tensor.__itruediv__ = lambda self, other: apply_inplace(self, Div.apply(self, _operand(other)))
Tensor.__ifloordiv__ = lambda self, other: apply_inplace(self, Div.apply(self, _operand(other), rounding_mode="floor"))
Tensor.__ipow__ = lambda self, other: apply_inplace(self, Pow.apply(self, _operand(other)))


# ---- unary math ----------------------------------------------------------------------------
class Exp(Op):
    def forward(ctx, x):
        y = ctx.xp.exp(to_float(x))
        ctx.save_for_backward(y)
        return y

    def backward(ctx, g):
        y, = ctx.saved_tensors
        return g * y


class Log(Op):
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.log(to_float(x))

    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g / x


class Relu(Op):
    _name = "ReluBackward0"

    def forward(ctx, x):
        y = ctx.xp.maximum(x, 0) if x.dtype.kind != "b" else x.copy()
        ctx.save_for_backward(y)
        return y

    def backward(ctx, g):
        y, = ctx.saved_tensors
        return g * (y > 0)


@method
def exp(input, *, out=None):
    return _out(Exp.apply(input), out)


@method
def log(input, *, out=None):
    return _out(Log.apply(input), out)


@method
def relu(input):
    return Relu.apply(input)


for _f in (exp, log, relu):
    inplace(_f)


# ---- comparisons (not differentiable: plain array work) -------------------------------------
def _compare(name, ufunc):
    def cmp(input, other, *, out=None):
        other = _operand(other)
        if not isinstance(input, Tensor):
            input, other = other, input
            swapped = True
        else:
            swapped = False
        x = input._data
        y = other._data if isinstance(other, Tensor) else other
        if isinstance(other, Tensor) and other._device is not input._device and other._data.ndim:
            from ._op import _mixed_devices
            _mixed_devices(input._device, other, type(name, (), {}))
        r = result_np(x, y)
        if x.dtype is not r:
            x = x.astype(r)
        if type(y) not in _SCALARS and y.dtype is not r:
            y = y.astype(r)
        res = getattr(input._device.xp, ufunc)(y, x) if swapped else getattr(input._device.xp, ufunc)(x, y)
        if type(res) is not input._device.xp.ndarray:
            res = input._device.xp.asarray(res)
        return _out(_wrap(res, input._device), out)
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
        r = fn(self, other)
        self._data[...] = r._data.astype(self._data.dtype)
        self._bump()
        return self
    return f


for _n, _f in (("eq_", eq), ("ne_", ne), ("lt_", lt), ("le_", le), ("gt_", gt), ("ge_", ge)):
    setattr(Tensor, _n, _cmp_inplace(_f))

Tensor.__eq__ = lambda self, other: eq(self, other) if _comparable(other) else NotImplemented
Tensor.__ne__ = lambda self, other: ne(self, other) if _comparable(other) else NotImplemented
Tensor.__lt__ = lambda self, other: lt(self, other)
Tensor.__le__ = lambda self, other: le(self, other)
Tensor.__gt__ = lambda self, other: gt(self, other)
Tensor.__ge__ = lambda self, other: ge(self, other)
Tensor.__hash__ = object.__hash__


def _comparable(v):
    return isinstance(v, Tensor) or type(v) in _SCALARS or hasattr(v, "__array__") or hasattr(v, "dtype")
