"""default_collate / default_convert: how samples become batches."""
import collections.abc
import re

import numpy as _np

from ...._tensor import Tensor

_NP_STR = re.compile(r"[SaUO]")
_ERR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}")


def default_convert(data):
    """NumPy arrays/scalars to tensors, recursively; everything else unchanged."""
    from .... import as_tensor
    if isinstance(data, Tensor):
        return data
    if isinstance(data, _np.ndarray):
        return data if _NP_STR.search(data.dtype.str) else as_tensor(data)
    if isinstance(data, _np.generic) and not isinstance(data, (_np.str_, _np.bytes_)):
        return as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        try:
            return type(data)({k: default_convert(v) for k, v in data.items()})
        except TypeError:
            return {k: default_convert(v) for k, v in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            return type(data)([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data


def default_collate(batch):
    """Stack tensors/arrays/numbers along a new first dim, recursing into dicts and sequences."""
    from .... import stack, tensor, as_tensor, float64, int64
    if type(batch).__name__ == "TensorRows":
        return batch.collate()
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(batch, 0)
    if isinstance(elem, _np.ndarray) or (isinstance(elem, _np.generic) and not isinstance(elem, (_np.str_, _np.bytes_))):
        if isinstance(elem, _np.ndarray) and _NP_STR.search(elem.dtype.str):
            raise TypeError(_ERR.format(elem.dtype))
        return stack([as_tensor(b) for b in batch], 0)
    if isinstance(elem, bool):
        return tensor(batch)
    if isinstance(elem, float):
        return tensor(batch, dtype=float64)
    if isinstance(elem, int):
        return tensor(batch, dtype=int64)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        try:
            return type(elem)({k: default_collate([d[k] for d in batch]) for k in elem})
        except TypeError:
            return {k: default_collate([d[k] for d in batch]) for k in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(s) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        it = iter(batch)
        size = len(next(it))
        if not all(len(e) == size for e in it):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = list(zip(*batch))
        if isinstance(elem, tuple):
            return [default_collate(s) for s in columns]
        try:
            return type(elem)([default_collate(s) for s in columns])
        except TypeError:
            return [default_collate(s) for s in columns]
    raise TypeError(_ERR.format(type(elem)))
