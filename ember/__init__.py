"""ember: the PyTorch experience on NumPy. `import ember as torch`."""
__version__ = "0.1.0"

import warnings as _warnings

# PyTorch returns inf/nan silently (log(0), 0/0, exp overflow); NumPy warns. Silence NumPy's
# floating-point RuntimeWarnings for calls made from ember's own modules only: a user's NumPy
# code keeps its warnings.
_warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"ember\.")

from . import _alloc
_alloc.tune()       # freed array memory stays in the heap for the next step (see _alloc.py)

from . import _dtypes
from ._dtypes import (dtype, float32, float64, float16, bfloat16, complex64, complex128, int8, int16, int32,
                      int64, uint8, uint16, uint32, uint64, bool, float, double, half, cfloat, cdouble, short, int, long,
                      get_default_dtype, set_default_dtype, promote_types)
from ._device import device
from ._tensor import Tensor, Size, is_tensor
from .autograd.grad_mode import (no_grad, enable_grad, set_grad_enabled, inference_mode, is_grad_enabled,
                                 is_inference_mode_enabled)
from ._factory import (tensor, as_tensor, asarray, from_numpy, frombuffer, zeros, ones, empty, full, zeros_like,
                       ones_like, empty_like, full_like, arange, linspace, logspace, eye, scalar_tensor,
                       empty_strided, FloatTensor, DoubleTensor, HalfTensor, BFloat16Tensor, LongTensor, IntTensor,
                       ShortTensor, CharTensor, ByteTensor, BoolTensor)
from ._factory import range_ as range  # noqa: A004
from .random import (Generator, default_generator, manual_seed, seed, initial_seed, get_rng_state, set_rng_state,
                     rand, randn, randint, randperm, rand_like, randn_like, randint_like, normal, bernoulli,
                     poisson, multinomial)
from ._ops import *  # noqa: F401,F403  (every op family's public functions)
from ._ops import __all__ as _ops_all
from . import autograd, cuda, utils  # noqa: F401
from ._layout import (strided, sparse_coo, contiguous_format, channels_last, channels_last_3d, preserve_format,
                      memory_format, layout)
from ._printing import set_printoptions, get_printoptions  # noqa: F401
from ._misc import *  # noqa: F401,F403


def result_type(tensor1, tensor2):
    return _dtypes.result_type(tensor1, tensor2)


def can_cast(from_, to):
    from ._ops._registry import _can_cast
    return _can_cast(from_.np, to.np)


def is_floating_point(input):
    return input.dtype.is_floating_point


def is_complex(input):
    return input.dtype.is_complex


def numel(input):
    return input.numel()


def is_nonzero(input):
    if input.numel() != 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return builtins_bool(input.item())


import builtins as _builtins  # noqa: E402
builtins_bool = _builtins.bool

autograd.Variable = lambda data, requires_grad=False, volatile=False: data.requires_grad_(requires_grad) if requires_grad else data


def __getattr__(name):
    # heavy sub-packages load on first use, keeping `import ember` fast
    import importlib
    if name in ("nn", "optim", "serialization", "vision", "hub", "distributed", "linalg", "fft", "special",
                "testing", "backends", "compat", "jit", "onnx", "amp", "multiprocessing", "overrides", "storage",
                "train", "distributions", "futures", "profiler", "sparse", "quantization", "export", "compiler",
                "library", "types", "masked", "func", "nested", "signal", "xpu", "mps", "version", "hub"):
        try:
            mod = importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as e:
            if e.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module 'ember' has no attribute '{name}' (ember has no {name} subpackage "
                                 "yet)") from None
        globals()[name] = mod
        return mod
    if name in ("save", "load", "add_safe_globals", "safe_globals", "get_safe_globals", "clear_safe_globals"):
        from . import serialization
        return getattr(serialization, name)
    raise AttributeError(f"module 'ember' has no attribute '{name}'")
