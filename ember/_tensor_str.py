"""Tensor printing, character for character as PyTorch prints (dtypes shown as `ember.*`).

Works on the NumPy array behind the tensor. One formatter per printed tensor (two for complex:
real and imaginary parts) fixes a common width and style (integer-valued `1.`, fixed-point with
`precision` digits, or scientific); nested brackets, wrapping and `...` summarization follow."""
import numpy as _np

from . import _dtypes
from ._printing import PRINT_OPTS


class _Formatter:
    """Chooses width and notation from the (summarized) values it will print."""

    def __init__(self, a):
        self.floating = a.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        if not self.floating:
            for v in a.ravel().tolist():
                self.width = max(self.width, len(str(v)))
            return
        vals = a[_np.isfinite(a) & (a != 0)].astype(_np.float64)
        if vals.size == 0:
            return
        mags = _np.abs(vals)
        lo, hi = mags.min(), mags.max()
        self.int_mode = bool((vals == _np.ceil(vals)).all())
        sci = PRINT_OPTS["sci_mode"]
        self.sci_mode = (hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4) if sci is None else sci
        p = PRINT_OPTS["precision"]
        if self.sci_mode:
            lens = (len(f"{v:.{p}e}") for v in vals.tolist())
        elif self.int_mode:
            lens = (len(f"{v:.0f}") + 1 for v in vals.tolist())
        else:
            lens = (len(f"{v:.{p}f}") for v in vals.tolist())
        self.width = max(self.width, max(lens))

    def format(self, v):
        if not self.floating:
            s = str(v)
        elif self.sci_mode:
            s = f"{v:{self.width}.{PRINT_OPTS['precision']}e}"
        elif self.int_mode:
            s = f"{v:.0f}"
            if v == v and v not in (_INF, -_INF):
                s += "."
        else:
            s = f"{v:.{PRINT_OPTS['precision']}f}"
        return s.rjust(self.width)


_INF = float("inf")


def _scalar(v, f1, f2):
    if f2 is None:
        return f1.format(v)
    re = f1.format(v.real)
    im = (f2.format(v.imag) + "j").lstrip()
    return re + im if im[0] in "+-" else re + "+" + im


def _vector(a, indent, summarize, f1, f2):
    per = f1.width + 2 + (0 if f2 is None else f2.width + 1)
    per_line = max(1, (PRINT_OPTS["linewidth"] - indent) // per)
    e = PRINT_OPTS["edgeitems"]
    if summarize and not e:
        items = ["..."]
    elif summarize and a.shape[0] > 2 * e:
        items = ([_scalar(v, f1, f2) for v in a[:e].tolist()] + [" ..."]
                 + [_scalar(v, f1, f2) for v in a[-e:].tolist()])
    else:
        items = [_scalar(v, f1, f2) for v in a.tolist()]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(a, indent, summarize, f1, f2):
    if a.ndim == 0:
        return _scalar(a.item(), f1, f2)
    if a.ndim == 1:
        return _vector(a, indent, summarize, f1, f2)
    e = PRINT_OPTS["edgeitems"]
    n = a.shape[0]
    if summarize and n > 2 * e:
        rows = [_nested(a[i], indent + 1, summarize, f1, f2) for i in range(e)] + ["..."] + \
               [_nested(a[i], indent + 1, summarize, f1, f2) for i in range(n - e, n)]
    else:
        rows = [_nested(a[i], indent + 1, summarize, f1, f2) for i in range(n)]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def _summarized(a):
    """The values a summarized print shows (edge items of every dimension), for the formatter."""
    e = PRINT_OPTS["edgeitems"]
    if a.ndim == 0:
        return a
    if a.ndim == 1:
        return _np.concatenate((a[:e], a[-e:])) if a.shape[0] > 2 * e else a
    if not e:
        return a[(slice(0, 0),) * a.ndim]
    rows = list(a[:e]) + list(a[-e:]) if a.shape[0] > 2 * e else list(a)
    return _np.stack([_summarized(r) for r in rows])


def _body(a, indent):
    summarize = a.size > PRINT_OPTS["threshold"]
    if a.dtype.kind == "V" or a.dtype == _np.float16:   # bfloat16 / float16 print via float32
        a = a.astype(_np.float32)
    pick = _summarized if summarize else (lambda x: x)
    if a.dtype.kind == "c":
        return _nested(a, indent, summarize, _Formatter(pick(a.real)), _Formatter(pick(a.imag)))
    return _nested(a, indent, summarize, _Formatter(pick(a)), None)


def _with_suffixes(text, suffixes, indent):
    parts = [text]
    last = len(text) - text.rfind("\n") + 1
    for s in suffixes:
        if last + len(s) + 2 > PRINT_OPTS["linewidth"]:
            parts.append(",\n" + " " * indent + s)
            last = indent + len(s)
        else:
            parts.append(", " + s)
            last += len(s) + 2
    return "".join(parts) + ")"


def _shows_device(dev):
    from ._factory import _default_device
    if dev.type != _default_device[0].type:
        return True
    if dev.type == "cuda":
        from .cuda import current_device
        return current_device() != dev.index
    return False


def tensor_repr(t):
    from ._tensor import Tensor
    prefix = "tensor(" if type(t) is Tensor or t._is_param else type(t).__name__ + "("
    indent = len(prefix)
    a = t._device.backend.asnumpy(t._data)
    dt = t.dtype
    default = _dtypes.get_default_dtype()
    suffixes = []
    if _shows_device(t._device):
        suffixes.append(f"device='{t._device}'")
    if a.size == 0:
        if a.ndim != 1:
            suffixes.append(f"size={tuple(a.shape)}")
        if dt is not default:
            suffixes.append(f"dtype={dt!r}")
        body = "[]"
    else:
        if not PRINT_OPTS["edgeitems"]:
            suffixes.append(f"size={tuple(a.shape)}")
        default_complex = _dtypes.complex128 if default is _dtypes.float64 else _dtypes.complex64
        if dt not in (default, default_complex, _dtypes.int64, _dtypes.bool):
            suffixes.append(f"dtype={dt!r}")
        body = _body(a, indent)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._rg:
        suffixes.append("requires_grad=True")
    text = _with_suffixes(prefix + body, suffixes, indent)
    return "Parameter containing:\n" + text if t._is_param else text
