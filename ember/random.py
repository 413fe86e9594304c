"""Random number generation: Generator, manual_seed, and the sampling functions.

ember's streams are not bit-identical to PyTorch's (PyTorch's mt19937 transforms are its own);
seeding makes ember reproducible with itself."""
import builtins

import numpy as _np

from . import _dtypes
from ._tensor import Tensor

_wrap = Tensor._wrap


class Generator:
    """A seeded random stream (`ember.Generator().manual_seed(0)`)."""

    def __init__(self, device="cpu"):
        from ._device import device as _device
        self.device = _device(device)
        self._seed = 67280421310721
        self._np = _np.random.Generator(_np.random.PCG64(self._seed))

    def manual_seed(self, seed):
        seed = int(seed)
        if seed < 0:
            seed &= 0xFFFFFFFFFFFFFFFF
        self._seed = seed
        self._np = _np.random.Generator(_np.random.PCG64(seed))
        return self

    def seed(self):
        s = int.from_bytes(__import__("os").urandom(8), "little") & 0x7FFFFFFFFFFFFFFF
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    def get_state(self):
        import pickle
        from ._factory import tensor
        return tensor(list(pickle.dumps((self._seed, self._np.bit_generator.state))), dtype=_dtypes.uint8)

    def set_state(self, state):
        import pickle
        self._seed, st = pickle.loads(bytes(state.tolist()))
        self._np = _np.random.Generator(_np.random.PCG64())
        self._np.bit_generator.state = st
        return self


default_generator = Generator()


def _gen(generator):
    return (generator or default_generator)._np


def manual_seed(seed):
    default_generator.manual_seed(seed)
    try:
        from . import cuda
        cuda.manual_seed_all(seed)
    except Exception:   # noqa: BLE001
        pass
    return default_generator


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state):
    default_generator.set_state(state)


def _make(arr, dtype, device, requires_grad):
    from ._factory import _dev
    dev = _dev(device)
    if dev.xp is not _np:
        arr = dev.xp.asarray(arr)
    t = _wrap(arr, dev)
    if requires_grad:
        t.requires_grad = True
    return t


def _float_dtype(dtype):
    d = dtype or _dtypes.get_default_dtype()
    if not d.is_floating_point:
        raise RuntimeError(f'"check_uniform_bounds" not implemented for \'{d.name}\'')
    return d


def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    from ._factory import _size
    d = _float_dtype(dtype)
    g = _gen(generator)
    a = g.random(_size(size), dtype=_np.float32 if d is _dtypes.float32 else _np.float64).astype(d.np, copy=False)
    return _make(a, d, device, requires_grad)


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    from ._factory import _size
    d = _float_dtype(dtype)
    g = _gen(generator)
    a = g.standard_normal(_size(size), dtype=_np.float32 if d is _dtypes.float32 else _np.float64).astype(d.np, copy=False)
    return _make(a, d, device, requires_grad)


def randint(low=0, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
            requires_grad=False):
    if size is None:   # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    from ._factory import _size
    d = dtype or _dtypes.int64
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    a = _gen(generator).integers(low, high, _size((size,)), dtype=_np.int64).astype(d.np)
    return _make(a, d, device, requires_grad)


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    d = dtype or _dtypes.int64
    return _make(_gen(generator).permutation(int(n)).astype(d.np), d, device, requires_grad)


def rand_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return rand(input.shape, dtype=dtype or input.dtype, device=device or input.device, requires_grad=requires_grad)


def randn_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return randn(input.shape, dtype=dtype or input.dtype, device=device or input.device, requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    if high is None:
        low, high = 0, low
    return randint(low, high, input.shape, dtype=dtype or input.dtype, device=device or input.device)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
           requires_grad=False):
    g = _gen(generator)
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        m = mean._data if isinstance(mean, Tensor) else mean
        s = std._data if isinstance(std, Tensor) else std
        ref = mean if isinstance(mean, Tensor) else std
        if isinstance(s, _np.ndarray) and (s < 0).any() or not isinstance(s, _np.ndarray) and s < 0:
            raise RuntimeError("normal expects all elements of std >= 0.0")
        shape = _np.broadcast_shapes(_np.shape(m), _np.shape(s))
        a = (m + s * g.standard_normal(shape)).astype(ref._data.dtype)
        return _make(a, ref.dtype, ref.device, False)
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    from ._factory import _size
    d = _float_dtype(dtype)
    a = (mean + std * g.standard_normal(_size((size,)))).astype(d.np)
    return _make(a, d, device, requires_grad)


def bernoulli(input, p=None, *, generator=None, out=None):
    probs = input._data if p is None else _np.full(input.shape, p)
    if ((probs < 0) | (probs > 1)).any():
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
    u = _gen(generator).random(input.shape)
    return _make((u < probs).astype(input._data.dtype), input.dtype, input.device, False)


def poisson(input, generator=None):
    return _make(_gen(generator).poisson(input._data).astype(input._data.dtype), input.dtype, input.device, False)


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    p = _np.asarray(input._data, dtype=_np.float64)
    if p.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if (p < 0).any() or not _np.isfinite(p).all():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    rows = p[None] if p.ndim == 1 else p
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    g = _gen(generator)
    out = []
    for r in rows:
        s = r.sum()
        if s <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        if replacement:
            out.append(g.choice(len(r), size=num_samples, replace=True, p=r / s))
        else:
            # sequential sampling without replacement (Gumbel top-k gives the same distribution)
            keys = _np.log(g.random(len(r))) / _np.where(r > 0, r, 1e-300)
            keys[r == 0] = -_np.inf
            if (r > 0).sum() < num_samples:
                raise RuntimeError("invalid multinomial distribution (with replacement=False, not enough non-negative category to sample)")
            out.append(_np.argsort(-keys, kind="stable")[:num_samples])
    a = _np.stack(out).astype(_np.int64)
    if p.ndim == 1:
        a = a[0]
    return _make(a, _dtypes.int64, input.device, False)


# ---- in-place samplers on tensors -----------------------------------------------------------
def _fill_(self, arr):
    from ._ops._registry import check_inplace
    check_inplace(self)
    xp = self._device.xp
    self._data[...] = arr if xp is _np else xp.asarray(arr)
    self._bump()
    return self


def _uniform_(self, a=0, b=1, *, generator=None):
    return _fill_(self, _gen(generator).uniform(a, b, self.shape).astype(self._data.dtype))


def _normal_(self, mean=0, std=1, *, generator=None):
    return _fill_(self, (mean + std * _gen(generator).standard_normal(self.shape)).astype(self._data.dtype))


def _bernoulli_(self, p=0.5, *, generator=None):
    pp = p._data if isinstance(p, Tensor) else p
    return _fill_(self, (_gen(generator).random(self.shape) < pp).astype(self._data.dtype))


def _random_(self, low=0, high=None, *, generator=None):
    if high is None:
        low, high = 0, (low if low else (2 ** 24 if self.dtype is _dtypes.float32 else 2 ** 53 if self.dtype.is_floating_point else _np.iinfo(self._data.dtype).max))
    return _fill_(self, _gen(generator).integers(low, high, self.shape).astype(self._data.dtype))


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
Tensor.multinomial = lambda self, num_samples, replacement=False, *, generator=None: multinomial(self, num_samples, replacement, generator=generator)
