"""Flatten parameters into one vector and back."""
from ..._tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _check_device(param, old):
    if old is None:
        return param.device
    if param.device != old:
        raise TypeError("Found two parameters on different devices, this is currently not supported.")
    return old


def parameters_to_vector(parameters):
    """One 1-D tensor holding every parameter, in order (differentiable)."""
    import ember
    dev = None
    flat = []
    for p in parameters:
        dev = _check_device(p, dev)
        flat.append(p.reshape(-1))
    return ember.cat(flat)


def vector_to_parameters(vec, parameters):
    """Copies consecutive slices of `vec` into the parameters' data."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    dev = None
    pointer = 0
    for p in parameters:
        dev = _check_device(p, dev)
        n = p.numel()
        p.data = vec[pointer:pointer + n].reshape(tuple(p.shape)).data
        pointer += n
