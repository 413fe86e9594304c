"""Backend: the names of the communication backends."""

__all__ = ["Backend"]


class Backend(str):
    """A lower-cased backend name: Backend('GLOO') == 'gloo'."""
    UNDEFINED = "undefined"
    GLOO = "gloo"
    NCCL = "nccl"
    UCC = "ucc"
    MPI = "mpi"
    XCCL = "xccl"
    backend_list = [UNDEFINED, GLOO, NCCL, UCC, MPI, XCCL]
    default_device_backend_map = {"cpu": GLOO, "cuda": NCCL}

    def __new__(cls, name):
        if not isinstance(name, str):
            raise ValueError(f"Backend constructor parameter must be string-ish, but got: {type(name)}")
        return str.__new__(cls, name.lower())


def pick(backend):
    """The backend ember runs for `backend` (None, a name, or 'cpu:gloo,cuda:nccl'), with torch's errors for the
    ones it cannot."""
    if backend is None:
        return Backend.GLOO
    name = Backend(backend)
    if ":" in name:                                   # device:backend pairs: ember's tensors live on the CPU side
        pairs = dict(p.split(":", 1) for p in name.split(","))
        name = Backend(pairs.get("cpu", next(iter(pairs.values()))))
    if name == Backend.NCCL:
        raise RuntimeError("Distributed package doesn't have NCCL built in")
    if name in (Backend.UCC, Backend.XCCL):
        raise RuntimeError(f"Distributed package doesn't have {name.upper()} built in")
    if name not in (Backend.GLOO, Backend.MPI):
        raise AssertionError(f"Unknown backend type {name}")
    return name
