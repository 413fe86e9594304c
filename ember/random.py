"""Random number generation: Generator, manual_seed, and the sampling functions.

ember's streams are not bit-identical to PyTorch's (PyTorch's mt19937 transforms are its own);
seeding makes ember reproducible with itself."""
import builtins
import contextlib
import os
import pickle

import numpy as _np

from . import _dtypes
from ._device import CPU, transfer
from ._tensor import Tensor
from ._factory import factory_kwargs, formatted

_wrap = Tensor._wrap
_DEFAULT_SEED = 67280421310721


class Generator:
    """A seeded random stream (`ember.Generator().manual_seed(0)`)."""

    def __init__(self, device="cpu"):
        from ._device import device as _device
        self.device = _device(device)
        self.manual_seed(_DEFAULT_SEED)

    def manual_seed(self, seed):
        seed = builtins.int(seed) & 0xFFFFFFFFFFFFFFFF   # negative seeds wrap, as in PyTorch
        self._seed = seed
        self._np = _np.random.Generator(_np.random.PCG64(seed))
        return self

    def seed(self):
        s = builtins.int.from_bytes(os.urandom(8), "little") & 0x7FFFFFFFFFFFFFFF
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    def get_state(self):
        """The stream's state as a uint8 tensor (opaque; feed it back to set_state)."""
        raw = pickle.dumps((self._seed, self._np.bit_generator.state))
        return _wrap(_np.frombuffer(raw, dtype=_np.uint8).copy())

    def set_state(self, new_state):
        if not isinstance(new_state, Tensor) or new_state.dtype is not _dtypes.uint8:
            raise TypeError("RNG state must be a torch.ByteTensor")
        self._seed, state = pickle.loads(new_state._device.backend.asnumpy(new_state._data).tobytes())
        self._np = _np.random.Generator(_np.random.PCG64())
        self._np.bit_generator.state = state
        return self


default_generator = Generator()


def _gen(generator):
    return (generator or default_generator)._np


def manual_seed(seed):
    default_generator.manual_seed(seed)
    from . import cuda
    cuda.manual_seed_all(seed)
    return default_generator


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state):
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, **kwargs):
    """Run a block and restore the default generator's state afterwards."""
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)


# ---- helpers ---------------------------------------------------------------------------------------
def _make(arr, dtype, device, requires_grad):
    from ._factory import _dev, _finish
    dev = _dev(device)
    arr = _np.asarray(arr).astype(dtype.np, copy=False)
    return _finish(_wrap(arr if dev is CPU else transfer(arr, CPU, dev), dev), requires_grad)


def _unsupported(kernel, dtype):
    return NotImplementedError(f'"{kernel}" not implemented for \'{_dtypes.SCALAR_NAME[dtype]}\'')


def _shape(size, kw, fn):
    from ._factory import _sizes
    return _sizes(size, kw, fn)


def _uniform(g, shape, d):
    """Uniform [0, 1) samples for float/complex dtype d (complex: real and imaginary parts)."""
    if d._cat == 3:
        return g.random(shape) + 1j * g.random(shape)
    return g.random(shape, dtype=_np.float32 if d is _dtypes.float32 else _np.float64)


def _gaussian(g, shape, d):
    """Standard normal samples; complex ones have variance 1 split evenly over both parts."""
    if d._cat == 3:
        return (g.standard_normal(shape) + 1j * g.standard_normal(shape)) / _np.sqrt(2.0)
    return g.standard_normal(shape, dtype=_np.float32 if d is _dtypes.float32 else _np.float64)


# ---- sampling functions ----------------------------------------------------------------------------
@factory_kwargs
def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False, **kw):
    d = dtype or _dtypes.get_default_dtype()
    shape = _shape(size, kw, "rand")
    if d._cat < 2:
        raise _unsupported("check_uniform_bounds", d)
    return _make(_uniform(_gen(generator), shape, d), d, device, requires_grad)


@factory_kwargs
def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, **kw):
    d = dtype or _dtypes.get_default_dtype()
    shape = _shape(size, kw, "randn")
    if d._cat < 2:
        raise _unsupported("normal_kernel_cpu", d)
    return _make(_gaussian(_gen(generator), shape, d), d, device, requires_grad)


_C_INT = {_dtypes.int8: "signed char", _dtypes.uint8: "unsigned char", _dtypes.int16: "short", _dtypes.int32: "int",
          _dtypes.int64: "long"}


def _randint_bounds(low, high, d):
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    if d in _C_INT:
        info = _np.iinfo(d.np)
        if not info.min <= low <= info.max:
            raise RuntimeError(f"from is out of bounds for {_C_INT[d]}")
        if not info.min <= high - 1 <= info.max:
            raise RuntimeError(f"to - 1 is out of bounds for {_C_INT[d]}")


@factory_kwargs
def randint(low=0, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
            requires_grad=False, pin_memory=False):
    """randint(high, size) or randint(low, high, size)."""
    if size is None:                 # randint(high, size) positional
        low, high, size = 0, low, high
    elif high is None:               # randint(high, size=...)
        low, high = 0, low
    from ._factory import _as_int, _size
    if _as_int(low) is None or _as_int(high) is None or not isinstance(size, (tuple, list)):
        got = ", ".join(type(v).__name__ for v in (low, high, size))
        raise TypeError(f"randint() received an invalid combination of arguments - got ({got})")
    shape = _size((size,), "randint", 2 if low == 0 else 3)
    d = dtype or _dtypes.int64
    _randint_bounds(low, high, d)
    return _make(_gen(generator).integers(low, high, shape, dtype=_np.int64), d, device, requires_grad)


@factory_kwargs
def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
             pin_memory=False):
    d = dtype or _dtypes.int64
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    if d._cat == 1 and n > 0 and n - 1 > _np.iinfo(d.np).max:
        raise RuntimeError(f"value cannot be converted to type {d.name}_t without overflow")
    return _make(_gen(generator).permutation(builtins.int(n)), d, device, requires_grad)


def rand_like(input, *, generator=None, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    return formatted(rand(input.shape, generator=generator, dtype=dtype or input.dtype,
                          device=device or input.device, requires_grad=requires_grad), memory_format, input)


def randn_like(input, *, generator=None, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    return formatted(randn(input.shape, generator=generator, dtype=dtype or input.dtype,
                           device=device or input.device, requires_grad=requires_grad), memory_format, input)


def randint_like(input, low=0, high=None, *, generator=None, dtype=None, layout=None, device=None,
                 requires_grad=False, memory_format=None):
    if high is None:
        low, high = 0, low
    return formatted(randint(low, high, tuple(input.shape), generator=generator, dtype=dtype or input.dtype,
                             device=device or input.device, requires_grad=requires_grad), memory_format, input)


def _broadcast(a, b):
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y and 1 not in (x, y):
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) at non-singleton "
                               f"dimension {i}")
    return tuple(max(x, y) for x, y in zip(a, b))


def _host(x):
    return x._device.backend.asnumpy(x._data) if isinstance(x, Tensor) else x


@factory_kwargs
def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
           requires_grad=False, pin_memory=False):
    """normal(Tensor mean, Tensor|float std), normal(float mean, Tensor std), normal(float, float, size)."""
    g = _gen(generator)
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        ref = mean if isinstance(mean, Tensor) else std
        if ref.dtype._cat < 2:
            raise _unsupported("normal_kernel_cpu", ref.dtype)
        m, s = _host(mean), _host(std)
        if isinstance(std, Tensor) and (s < 0).any():
            raise RuntimeError("normal expects all elements of std >= 0.0")
        if not isinstance(std, Tensor) and std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
        shape = _broadcast(_np.shape(m), _np.shape(s))
        return _make(m + s * _gaussian(g, shape, ref.dtype), ref.dtype, ref.device, False)
    if size is None:
        raise TypeError(f"normal() received an invalid combination of arguments - got "
                        f"({type(mean).__name__}, {type(std).__name__})")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    d = dtype or _dtypes.get_default_dtype()
    if d._cat < 2:
        raise _unsupported("normal_kernel_cpu", d)
    shape = _shape((size,), {}, "normal")
    return _make(mean + std * _gaussian(g, shape, d), d, device, requires_grad)


@factory_kwargs
def bernoulli(input, p=None, *, generator=None, out=None):
    if input.dtype._cat != 2:
        raise _unsupported("bernoulli_tensor_cpu_p_" if p is None else "bernoulli_scalar_cpu_", input.dtype)
    if p is None:
        probs = _host(input).astype(_np.float64)
        if ((probs < 0) | (probs > 1)).any():
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error "
                               "message be improved?  If so, please report an enhancement request to PyTorch.)")
    else:
        if not 0 <= p <= 1:
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p:g}")
        probs = p
    u = _gen(generator).random(input.shape)
    return _make(u < probs, input.dtype, input.device, False)


def poisson(input, generator=None):
    if input.dtype._cat != 2:
        raise _unsupported("poisson_cpu", input.dtype)
    rates = _host(input).astype(_np.float64)
    if (rates < 0).any():
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    return _make(_gen(generator).poisson(rates), input.dtype, input.device, False)


@factory_kwargs
def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    if input.dtype._cat != 2:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{_dtypes.SCALAR_NAME[input.dtype]}")
    p = _host(input).astype(_np.float64)
    if p.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > p.shape[-1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if (p < 0).any() or not _np.isfinite(p).all():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    g = _gen(generator)
    rows = []
    for r in p.reshape(-1, p.shape[-1]):
        total = r.sum()
        if total <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        if replacement:
            rows.append(g.choice(len(r), size=num_samples, replace=True, p=r / total))
        else:
            # Gumbel-top-k (exponential races) = sequential sampling without replacement;
            # zero-probability categories come last, as PyTorch picks them once the rest are used up
            with _np.errstate(divide="ignore"):
                keys = g.exponential(size=len(r)) / r
            rows.append(_np.argsort(keys, kind="stable")[:num_samples])
    a = _np.stack(rows).reshape(p.shape[:-1] + (num_samples,))
    return _make(a, _dtypes.int64, input.device, False)


# ---- in-place samplers on tensors ------------------------------------------------------------------
def _fill_(self, arr):
    """Write host samples `arr` into self's buffer (on self's device)."""
    dev = self._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(_fill_, self, arr)
    from ._ops._registry import check_inplace
    check_inplace(self)
    self._data[...] = arr if dev is CPU else dev.xp.asarray(arr)
    self._bump()
    return self


def _uniform_(self, from_=0, to=1, *, generator=None, **kw):
    a, b = kw.get("from", from_), to
    u = _gen(generator).random(tuple(self.shape), dtype=_draw_dtype(self))
    u *= b - a
    u += a
    return _fill_(self, u.astype(self._data.dtype, copy=False))


def _normal_(self, mean=0, std=1, *, generator=None):
    z = _gen(generator).standard_normal(tuple(self.shape), dtype=_draw_dtype(self))
    z *= std
    z += mean
    return _fill_(self, z.astype(self._data.dtype, copy=False))


def _draw_dtype(t):
    """float64 draws only for float64 tensors (float32 draws are faster and use half the memory)."""
    return _np.float64 if t._data.dtype == _np.float64 else _np.float32


def _bernoulli_(self, p=0.5, *, generator=None):
    pp = _host(p)
    return _fill_(self, (_gen(generator).random(self.shape) < pp).astype(self._data.dtype))


def _random_(self, from_=0, to=None, *, generator=None):
    if to is None:
        from_, to = (0, from_) if from_ else (0, None)
    if to is None:   # whole range of the dtype (floats: the integers they represent exactly)
        d = self.dtype
        to = {_dtypes.float32: 2 ** 24, _dtypes.float64: 2 ** 53, _dtypes.float16: 2 ** 11,
              _dtypes.bfloat16: 2 ** 8, _dtypes.bool: 1}.get(d) or builtins.int(_np.iinfo(d.np).max)
        to += 1
    return _fill_(self, _gen(generator).integers(from_, to, self.shape).astype(self._data.dtype))


def _exponential_(self, lambd=1.0, *, generator=None):
    return _fill_(self, _gen(generator).exponential(1.0 / lambd, self.shape).astype(self._data.dtype))


def _geometric_(self, p, *, generator=None):
    return _fill_(self, _gen(generator).geometric(p, self.shape).astype(self._data.dtype))


def _log_normal_(self, mean=1, std=2, *, generator=None):
    return _fill_(self, _gen(generator).lognormal(mean, std, self.shape).astype(self._data.dtype))


def _cauchy_(self, median=0, sigma=1, *, generator=None):
    return _fill_(self, (median + sigma * _gen(generator).standard_cauchy(self.shape)).astype(self._data.dtype))


Tensor.uniform_ = _uniform_
Tensor.normal_ = _normal_
Tensor.bernoulli_ = _bernoulli_
Tensor.random_ = _random_
Tensor.exponential_ = _exponential_
Tensor.geometric_ = _geometric_
Tensor.log_normal_ = _log_normal_
Tensor.cauchy_ = _cauchy_
Tensor.bernoulli = lambda self, p=None, *, generator=None: bernoulli(self, p, generator=generator)
Tensor.multinomial = lambda self, num_samples, replacement=False, *, generator=None: \
    multinomial(self, num_samples, replacement, generator=generator)
