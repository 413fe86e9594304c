"""Random number generation: Generator, manual_seed, get/set_rng_state, and the sampling functions.

The CPU streams are PyTorch's, bit for bit: the same mt19937 engine and seeding (ember._mt19937),
the same transforms from words to samples (ember._random_kernels), drawn in the same order, so
`manual_seed(0); randn(784, 10)` gives torch's numbers, and `get_rng_state()` is torch's 5056-byte
state (a state saved by one library restores the same stream in the other).

CUDA tensors draw from a separate stream per device (seeded by manual_seed like torch's CUDA
generators, but an mt19937 drawn on the host, not torch's Philox), so they never advance the CPU
stream, as in torch.

Where torch's own CPU results depend on the machine, ember follows x86-64 torch on a CPU that is not
Intel's: float32 normal_ of 16+ contiguous elements is the AVX2 kernel (torch on a CPU without AVX2,
or on ARM, runs a generic kernel that differs in the last bits); bernoulli_ with a float p (and so
dropout) is the per-element kernel, which torch's MKL build replaces by MKL's generator on Intel
CPUs. Double-precision log1p/log/exp/sin/cos/tan agree with the C library of this process
(ember._libm checks itself on first use)."""
import builtins
import contextlib
import math
import os

import numpy as _np

from . import _dtypes
from . import _random_kernels as _k
from ._device import CPU, transfer
from ._mt19937 import MT19937
from ._tensor import Tensor
from . import _factory
from ._factory import factory_kwargs

_wrap = Tensor._wrap
_DEFAULT_SEED = 67280421310721      # torch.Generator()'s seed (and torch's CUDA default)
_U64 = 0xFFFFFFFFFFFFFFFF


def _seed_value(seed):
    """A seed as PyTorch stores it: negative seeds wrap to 64 bits; outside [-2**63, 2**64) is an error."""
    seed = builtins.int(seed)
    if not -(1 << 63) <= seed <= _U64:
        raise ValueError("Overflow when unpacking long long")
    return seed & _U64


class Generator:
    """A seeded random stream (`ember.Generator().manual_seed(0)`), PyTorch's CPU generator bit for bit."""

    def __init__(self, device="cpu"):
        from ._device import device as _device
        self.device = _device(device)
        self._mt = MT19937(_DEFAULT_SEED)

    def manual_seed(self, seed):
        self._mt.reseed(_seed_value(seed))
        return self

    def seed(self):
        s = builtins.int.from_bytes(os.urandom(8), "little")
        self._mt.reseed(s)
        return s

    def initial_seed(self):
        return self._mt.seed

    def get_state(self):
        """torch's state layout: a uint8 tensor of 5056 bytes (mt19937 words, position, seed, normal caches)."""
        return _wrap(self._mt.to_bytes())

    def set_state(self, new_state):
        if not isinstance(new_state, Tensor):
            raise TypeError(f"expected a torch.ByteTensor, but got {type(new_state).__name__}")
        if new_state.dtype is not _dtypes.uint8:
            raise TypeError("RNG state must be a torch.ByteTensor")
        self._mt.from_bytes(new_state._device.backend.asnumpy(new_state._data).reshape(-1))
        return self

    @property
    def _np(self):
        """A NumPy Generator on this stream, for samplers without a PyTorch kernel of their own."""
        return self._mt.numpy_generator()


default_generator = Generator()
_cuda_generators = {}                  # device index -> the default generator of that CUDA device
_cuda_seed = [_DEFAULT_SEED]


def _default_for(device):
    if device is None or device.type == "cpu":
        return default_generator
    index = device.index or 0
    g = _cuda_generators.get(index)
    if g is None:
        g = _cuda_generators[index] = Generator(device).manual_seed(_cuda_seed[0])
    return g


def _engine(generator, device=None):
    return (generator or _default_for(device))._mt


def _gen(generator):
    """The NumPy Generator view of `generator` (default: the CPU default generator)."""
    return (generator or default_generator)._np


def seed_cuda_streams(seed, index=None):
    """Seed the CUDA devices' streams: all of them (and those created later), or device `index` only.
    (ember.cuda.manual_seed / manual_seed_all are the public spelling.)"""
    seed = _seed_value(seed)
    if index is None:
        _cuda_seed[0] = seed
        for g in _cuda_generators.values():
            g.manual_seed(seed)
    else:
        _default_for(_cuda_device(index)).manual_seed(seed)


def _cuda_device(index):
    from ._device import device as _device
    return _device("cuda", index)


def _seed_all_devices(seed):
    seed_cuda_streams(seed)
    from . import cuda
    cuda.manual_seed_all(seed)


def manual_seed(seed):
    seed = _seed_value(seed)
    _seed_all_devices(seed)
    return default_generator.manual_seed(seed)


def seed():
    s = default_generator.seed()
    _seed_all_devices(s)
    return s


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state):
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, **kwargs):
    """Run a block and restore the random states afterwards (the CPU one, and the CUDA streams)."""
    if not enabled:
        yield
        return
    state = get_rng_state()
    cuda_states = {i: g.get_state() for i, g in _cuda_generators.items()}
    try:
        yield
    finally:
        set_rng_state(state)
        for i, s in cuda_states.items():
            _cuda_generators[i].set_state(s)


# ---- filling tensors in PyTorch's element order ----------------------------------------------------
def _unsupported(kernel, dtype):
    return NotImplementedError(f'"{kernel}" not implemented for \'{_dtypes.SCALAR_NAME[dtype]}\'')


def _memory_order(shape, strides):
    """The axis order PyTorch's TensorIterator walks a (non-contiguous) tensor in: largest stride outermost."""
    return sorted(range(len(shape)), key=lambda d: -abs(strides[d]) if shape[d] != 1 else 0)


def _check_inplace(t):
    global _check_inplace
    from ._ops._registry import check_inplace as _check_inplace   # imported once (ops load after this module)
    _check_inplace(t)


def _write(self, samples):
    """Write flat `samples`, given in PyTorch's iteration order over self's memory, into self."""
    dev = self._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(_write, self, samples)
    _check_inplace(self)
    a = self._data
    if a.flags.c_contiguous:
        arr = samples.reshape(a.shape)
    else:
        order = _memory_order(a.shape, a.strides)
        arr = samples.reshape([a.shape[d] for d in order]).transpose(_np.argsort(order))
    if arr.dtype == _np.float64 and a.dtype.name in ("float16", "bfloat16"):
        arr = arr.astype(_np.float32)          # torch's Half/BFloat16 are made from a float, not a double
    arr = arr.astype(a.dtype, copy=False)
    a[...] = arr if dev is CPU else dev.xp.asarray(arr)
    self._bump()
    return self


def _ordered(self, arr):
    """Host array `arr` (self's shape) flattened in PyTorch's iteration order over self."""
    a = self._data
    if a.flags.c_contiguous:
        return arr.reshape(-1)
    return _np.transpose(arr, _memory_order(a.shape, a.strides)).reshape(-1)


def _real_dtype(t):
    return t._data.real.dtype if t.dtype._cat == 3 else t._data.dtype


def _complex_write(self, flat_real):
    return _write(self, flat_real[0::2] + 1j * flat_real[1::2])


def _check_float(self, kernel):
    if self.dtype._cat < 2:
        raise _unsupported(kernel, self.dtype)


# ---- in-place samplers on tensors ------------------------------------------------------------------
def _uniform_(self, from_=0, to=1, *, generator=None, **kw):
    a, b = kw.get("from", from_), to
    _check_float(self, "check_uniform_bounds")
    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={a:g} > to={b:g}")
    n = self.numel() * (2 if self.dtype._cat == 3 else 1)
    samples = _k.uniform(_engine(generator, self._device), n, _real_dtype(self), a, b)
    return _complex_write(self, samples) if self.dtype._cat == 3 else _write(self, samples)


def _normal_samples(self, mean, std, generator):
    """Samples for normal_(mean, std) on self: the block kernel for contiguous tensors of 16 or more
    elements, the scalar sampler otherwise (complex: both parts, std / sqrt(2) each)."""
    eng = _engine(generator, self._device)
    n, d = self.numel(), _real_dtype(self)
    if self.dtype._cat == 3:
        n, std = 2 * n, std / math.sqrt(2.0)
    if n >= 16 and self.is_contiguous():
        return _k.normal_block_fill(eng, n, d, mean, std)
    return _k.normal_scalar_path(eng, n, mean, std)


def _normal_(self, mean=0, std=1, *, generator=None):
    _check_float(self, "normal_kernel_cpu")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    samples = _normal_samples(self, mean, std, generator)
    return _complex_write(self, samples) if self.dtype._cat == 3 else _write(self, samples)


_C_INT = {_dtypes.int8: "signed char", _dtypes.uint8: "unsigned char", _dtypes.int16: "short", _dtypes.int32: "int",
          _dtypes.int64: "long"}
_RANDOM_TYPES = frozenset((_dtypes.float32, _dtypes.float64, _dtypes.float16, _dtypes.bfloat16, _dtypes.bool,
                           _dtypes.uint8, _dtypes.int8, _dtypes.int16, _dtypes.int32, _dtypes.int64))


def _check_bounds(low, high_inclusive, d):
    """PyTorch's check_from_to_in_range: integer bounds must fit the dtype."""
    if d in _C_INT:
        info = _np.iinfo(d.np)
        if not info.min <= low <= info.max:
            raise RuntimeError(f"from is out of bounds for {_C_INT[d]}")
        if not info.min <= high_inclusive <= info.max:
            raise RuntimeError(f"to - 1 is out of bounds for {_C_INT[d]}")


_MISSING = object()


def _random_(self, from_=_MISSING, to=_MISSING, *, generator=None, **kw):
    """random_() / random_(to) / random_(from, to) / random_(from, None), as torch."""
    from_ = kw.pop("from", from_)
    if kw:
        raise TypeError(f"random_() got an unexpected keyword argument '{next(iter(kw))}'")
    if to is _MISSING:
        from_, to = (0, None) if from_ is _MISSING else (0, from_)
    elif from_ is _MISSING:
        from_ = 0
    d = self.dtype
    if d not in _RANDOM_TYPES:
        raise _unsupported("random_from_to_kernel_cpu" if to is not None else "random_kernel_cpu", d)
    eng = _engine(generator, self._device)
    n = self.numel()
    np_dtype = self._data.dtype
    if to is None and from_ == 0:                 # random_(): the dtype's natural range
        return _write(self, _k.random_default(eng, n, np_dtype))
    if to is None and from_ == -(1 << 63):        # the full 64-bit range
        return _write(self, _k.random_full_64(eng, n, np_dtype))
    if to is None:                                 # [from, max of the dtype]
        if d._cat == 2:
            to_inc = 1 << _k._MANTISSA_DIGITS[_np.dtype(np_dtype)]
            from_ = _k.adjust_float_bounds(from_, None, np_dtype)[0]
            if from_ >= to_inc:
                raise RuntimeError(f"random_ expects 'from' casted to dtype to be less than or equal to 'to_inc' "
                                   f"casted to dtype, but got from={from_} > to_inc={to_inc}")
        else:
            to_inc = 1 if d is _dtypes.bool else builtins.int(_np.iinfo(d.np).max)
        _check_bounds(from_, to_inc, d)
        return _write(self, _k.random_from_to(eng, n, np_dtype, to_inc - from_ + 1, from_))
    if from_ >= to:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={from_} >= to={to}")
    if d._cat == 2:
        from_, to = _k.adjust_float_bounds(from_, to, np_dtype)
        if from_ >= to:
            raise RuntimeError(f"random_ expects 'from' casted to dtype to be less than 'to' casted to dtype, but got "
                               f"from={from_} >= to={to}")
    _check_bounds(from_, to - 1, d)
    return _write(self, _k.random_from_to(eng, n, np_dtype, to - from_, from_))


def _host(x):
    return x._device.backend.asnumpy(x._data) if isinstance(x, Tensor) else x


def _bernoulli_(self, p=0.5, *, generator=None):
    eng = _engine(generator, self._device)
    if isinstance(p, Tensor):
        if p.dtype._cat != 2:
            raise _unsupported("bernoulli_tensor_cpu_p_", p.dtype)
        probs = _np.broadcast_to(_host(p), tuple(self.shape))
        return _write(self, _k.bernoulli_tensor(eng, _ordered(self, probs)))
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p:g}")
    return _write(self, _k.bernoulli_scalar(eng, self.numel(), p))


def _float_sampler(kernel, fn):
    """An in-place sampler drawing float64 samples with `fn(engine, n, *params)`, cast to self's dtype."""
    def sampler(self, *params, generator=None):
        if self.dtype._cat != 2:
            raise _unsupported(kernel, self.dtype)
        return _write(self, fn(_engine(generator, self._device), self.numel(), *params))
    return sampler


def _exponential_(self, lambd=1.0, *, generator=None):
    if self.dtype._cat != 2:
        raise RuntimeError(f"Exponential distribution is a continuous probability distribution. dtype must be a "
                           f"floating point but you specified {_dtypes.SCALAR_NAME[self.dtype]}")
    if lambd <= 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd:g}")
    return _write(self, _k.exponential(_engine(generator, self._device), self.numel(), lambd))


def _geometric_(self, p, *, generator=None):
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p:g}")
    if self.dtype not in _RANDOM_TYPES or self.dtype is _dtypes.bool:
        raise _unsupported("geometric_cpu", self.dtype)
    return _write(self, _k.geometric(_engine(generator, self._device), self.numel(), p))


def _log_normal_(self, mean=1, std=2, *, generator=None):
    if std <= 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std:g}")
    return _float_sampler("log_normal_cpu", _k.log_normal)(self, mean, std, generator=generator)


def _cauchy_(self, median=0, sigma=1, *, generator=None):
    return _float_sampler("cauchy_cpu", _k.cauchy)(self, median, sigma, generator=generator)


# ---- draws for the noise of nn ops -----------------------------------------------------------------
def bernoulli_mask(device, shape, prob, generator=None):
    """Host bool array of `shape`: torch's noise.bernoulli_(prob) (dropout's keep mask)."""
    n = math.prod(shape)
    return _k.bernoulli_scalar(_engine(generator, device), n, prob).reshape(shape)


def rrelu_slopes(device, x, lower, upper, generator=None):
    """torch's training-mode rrelu noise for host array x: a uniform(lower, upper) slope, drawn in
    double from float bounds and rounded to x's float type, for each element <= 0 in order; 1 elsewhere."""
    work = _np.float32 if x.dtype != _np.float64 else _np.float64
    lo, hi = float(work(lower)), float(work(upper))
    negative = x <= 0
    slopes = _np.ones(x.shape, work)
    u = _k.unit_double(_engine(generator, device), builtins.int(negative.sum()))
    slopes[negative] = (u * (hi - lo) + lo).astype(work)
    return slopes.astype(x.dtype)


# ---- sampling functions ----------------------------------------------------------------------------
def _empty(shape, dtype, device):
    return _factory.empty(shape, dtype=dtype, device=device)


def _done(t, requires_grad):
    return _factory._finish(t, requires_grad)


def _shape(size, kw, fn):
    return _factory._sizes(size, kw, fn)


@factory_kwargs
def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False, **kw):
    d = dtype or _dtypes.get_default_dtype()
    shape = _shape(size, kw, "rand")
    if d._cat < 2:
        raise _unsupported("check_uniform_bounds", d)
    return _done(_uniform_(_empty(shape, d, device), 0, 1, generator=generator), requires_grad)


@factory_kwargs
def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, **kw):
    d = dtype or _dtypes.get_default_dtype()
    shape = _shape(size, kw, "randn")
    if d._cat < 2:
        raise _unsupported("normal_kernel_cpu", d)
    return _done(_normal_(_empty(shape, d, device), 0, 1, generator=generator), requires_grad)


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
    return _done(_random_(_empty(shape, d, device), builtins.int(low), builtins.int(high), generator=generator),
                 requires_grad)


@factory_kwargs
def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
             pin_memory=False):
    d = dtype or _dtypes.int64
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    if d._cat == 1 and n > 0 and n - 1 > _np.iinfo(d.np).max:
        raise RuntimeError(f"value cannot be converted to type {d.name}_t without overflow")
    from ._factory import _dev
    dev = _dev(device)
    perm = _k.randperm(_engine(generator, dev), builtins.int(n))
    arr = _np.asarray(perm, dtype=_np.int64).astype(d.np, copy=False)
    return _done(_wrap(arr if dev is CPU else transfer(arr, CPU, dev), dev), requires_grad)


def _like(input, dtype, device, memory_format):
    from ._factory import empty_like
    return empty_like(input, dtype=dtype, device=device, memory_format=memory_format)


def rand_like(input, *, generator=None, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    d = dtype or input.dtype
    if d._cat < 2:
        raise _unsupported("check_uniform_bounds", d)
    return _done(_uniform_(_like(input, dtype, device, memory_format), generator=generator), requires_grad)


def randn_like(input, *, generator=None, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    d = dtype or input.dtype
    if d._cat < 2:
        raise _unsupported("normal_kernel_cpu", d)
    return _done(_normal_(_like(input, dtype, device, memory_format), generator=generator), requires_grad)


def randint_like(input, low=0, high=None, *, generator=None, dtype=None, layout=None, device=None,
                 requires_grad=False, memory_format=None):
    if high is None:
        low, high = 0, low
    return _done(_random_(_like(input, dtype, device, memory_format), builtins.int(low), builtins.int(high),
                          generator=generator), requires_grad)


def _broadcast(a, b):
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y and 1 not in (x, y):
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) at non-singleton "
                               f"dimension {i}")
    return tuple(max(x, y) for x, y in zip(a, b))


@factory_kwargs
def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
           requires_grad=False, pin_memory=False):
    """normal(Tensor mean, Tensor|float std), normal(float mean, Tensor std), normal(float, float, size).
    As torch: standard samples (scaled by a float std) in the result, then `* std` and `+ mean` for tensors."""
    from .autograd.grad_mode import no_grad
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        ref = mean if isinstance(mean, Tensor) else std
        if ref.dtype._cat < 2:
            raise _unsupported("normal_kernel_cpu", ref.dtype)
        if isinstance(std, Tensor) and (_host(std) < 0).any():
            raise RuntimeError("normal expects all elements of std >= 0.0")
        if not isinstance(std, Tensor) and std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
        shape = _broadcast(tuple(mean.shape) if isinstance(mean, Tensor) else (),
                           tuple(std.shape) if isinstance(std, Tensor) else ())
        out_ = _empty(shape, ref.dtype, ref.device)
        with no_grad():
            if isinstance(std, Tensor):
                return _normal_(out_, 0, 1, generator=generator) * std + mean
            return _normal_(out_, 0, std, generator=generator) + mean
    if size is None:
        raise TypeError(f"normal() received an invalid combination of arguments - got "
                        f"({type(mean).__name__}, {type(std).__name__})")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    d = dtype or _dtypes.get_default_dtype()
    if d._cat < 2:
        raise _unsupported("normal_kernel_cpu", d)
    shape = _shape((size,), {}, "normal")
    return _done(_normal_(_empty(shape, d, device), mean, std, generator=generator), requires_grad)


@factory_kwargs
def bernoulli(input, p=None, *, generator=None, out=None):
    if input.dtype._cat != 2:
        raise _unsupported("bernoulli_tensor_cpu_p_" if p is None else "bernoulli_scalar_cpu_", input.dtype)
    if p is None:
        probs = _host(input)
        if ((probs < 0) | (probs > 1)).any():
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error "
                               "message be improved?  If so, please report an enhancement request to PyTorch.)")
        return _bernoulli_(_like(input, None, None, None), input, generator=generator)
    return _bernoulli_(_like(input, None, None, None), p, generator=generator)


def poisson(input, generator=None):
    if input.dtype._cat != 2:
        raise _unsupported("poisson_cpu", input.dtype)
    rates = _host(input).astype(_np.float64)
    if (rates < 0).any():
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    out = _like(input, None, None, None)
    return _write(out, _k.poisson(_engine(generator, input._device), _ordered(out, rates)))


@factory_kwargs
def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    if input.dtype._cat != 2:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{_dtypes.SCALAR_NAME[input.dtype]}")
    p = _host(input)
    if p.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > p.shape[-1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    wide = p.astype(_np.float64)
    if (wide < 0).any() or not _np.isfinite(wide).all():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    rows = p.reshape(-1, p.shape[-1])
    if (rows.astype(_np.float64).sum(-1) <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    eng = _engine(generator, input._device)
    if not replacement or num_samples == 1:
        a = _k.multinomial_without_replacement(eng, _np.ascontiguousarray(rows), num_samples)
    else:
        a = _k.multinomial_with_replacement(eng, rows, num_samples)
    a = a.reshape(p.shape[:-1] + (num_samples,))
    dev = input._device
    return _wrap(a if dev is CPU else transfer(a, CPU, dev), dev)


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
