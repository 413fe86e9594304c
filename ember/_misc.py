"""Small top-level helpers with no better home."""
__all__ = ["use_deterministic_algorithms", "are_deterministic_algorithms_enabled", "set_num_threads",
           "get_num_threads", "set_num_interop_threads", "get_num_interop_threads", "compile", "set_float32_matmul_precision",
           "get_float32_matmul_precision"]

_state = {"deterministic": False, "threads": None, "matmul_precision": "highest"}


def use_deterministic_algorithms(mode, *, warn_only=False):
    _state["deterministic"] = bool(mode)


def are_deterministic_algorithms_enabled():
    return _state["deterministic"]


def set_num_threads(n):
    _state["threads"] = int(n)


def get_num_threads():
    import os
    return _state["threads"] or os.cpu_count() or 1


def set_num_interop_threads(n):
    pass


def get_num_interop_threads():
    return 1


def compile(model=None, **kwargs):
    """ember runs eagerly; compile returns the model (or a decorator) unchanged."""
    if model is None:
        return lambda m: m
    return model


def set_float32_matmul_precision(p):
    _state["matmul_precision"] = p


def get_float32_matmul_precision():
    return _state["matmul_precision"]
