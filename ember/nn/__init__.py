"""ember.nn: modules, parameters, initialisation and helpers (mirrors torch.nn)."""
try:
    from . import functional  # noqa: F401
except ModuleNotFoundError as _e:  # functional.py may not exist yet while the tree is being built
    if _e.name != __name__ + ".functional":
        raise
from .parameter import Parameter, UninitializedParameter, UninitializedBuffer, Buffer  # noqa: F401
from .modules import *  # noqa: F401,F403
from . import init, utils, parallel  # noqa: F401
from .parallel import DataParallel, DistributedDataParallel  # noqa: F401
