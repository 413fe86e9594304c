"""Every primitive op family; importing this attaches the Tensor methods.

Each family module lists its public functions in `__all__`; they become `ember.<name>`. The spatial
families (conv, pooling, resample) list torch.nn.functional names; only those that PyTorch also
has at top level are exported here (the rest live in ember.nn.functional)."""
from . import elementwise, reduction, movement, linalg, conversion, nn_ops, conv, pooling, resample  # noqa: F401
from . import recurrent  # noqa: F401
from .elementwise import *  # noqa: F401,F403
from .reduction import *  # noqa: F401,F403
from .movement import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403
from .conversion import *  # noqa: F401,F403
from .nn_ops import *  # noqa: F401,F403
from .recurrent import *  # noqa: F401,F403

_SPATIAL_TOP_LEVEL = {
    conv: ("conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"),
    pooling: ("max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices", "avg_pool1d",
              "adaptive_avg_pool1d", "adaptive_max_pool1d"),
    resample: ("pixel_shuffle", "pixel_unshuffle", "channel_shuffle"),
}
for _mod, _names in _SPATIAL_TOP_LEVEL.items():
    for _n in _names:
        globals()[_n] = getattr(_mod, _n)

__all__ = (elementwise.__all__ + reduction.__all__ + movement.__all__ + linalg.__all__ + conversion.__all__
           + nn_ops.__all__ + recurrent.__all__ + [n for names in _SPATIAL_TOP_LEVEL.values() for n in names])

# Functions torch also offers with `out=` (the Tensor methods stay as they are): the result is
# written into `out` (a tuple of tensors for ops returning several) and `out` is returned.
_OUT_FUNCTIONS = (
    "sum", "mean", "nansum", "nanmean", "prod", "logsumexp", "norm", "std", "var", "amax", "amin", "argmax",
    "argmin", "max", "min", "median", "mode", "cumsum", "cumprod", "cummax", "cummin", "all", "any", "matmul",
    "mm", "bmm", "addmm", "mv", "dot", "outer", "inner", "baddbmm", "kron", "cross", "inverse", "tensordot",
    "index_select", "gather", "masked_select", "take", "tril", "triu", "diag", "sort", "topk", "kthvalue",
    "msort", "index_add", "scatter", "scatter_add", "histc")
_OUT_SETS_DTYPE = ("sum", "prod", "cumsum", "cumprod")


def _with_out(fn, name):
    import functools
    from .elementwise import _out

    takes_out_dtype = name in _OUT_SETS_DTYPE

    @functools.wraps(fn)
    def with_out(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        if takes_out_dtype and kwargs.get("dtype") is None:
            kwargs["dtype"] = out.dtype          # torch accumulates these in out's dtype
        r = fn(*args, **kwargs)
        if isinstance(r, tuple):
            if not isinstance(out, (tuple, list)) or len(out) != len(r):
                raise TypeError(f"{name}(): argument 'out' must be tuple of Tensors, not {type(out).__name__}")
            written = [_out(v, o, name) for v, o in zip(r, out)]
            return type(r)(*written) if hasattr(r, "_fields") else tuple(written)
        return _out(r, out, name)
    return with_out


def _add_out_arguments():
    import inspect
    for name in _OUT_FUNCTIONS:
        fn = globals().get(name)
        if fn is not None and "out" not in inspect.signature(fn).parameters:
            globals()[name] = _with_out(fn, name)


_add_out_arguments()
