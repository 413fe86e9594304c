"""ember.distributed: torch.distributed for ember tensors.

`init_process_group` meets the other ranks through a TCPStore (env:// or tcp://host:port) and
connects them; collectives then run in place on ember tensors. Backends: 'gloo' (pure Python over
TCP sockets, the default) and 'mpi' (through mpi4py: `pip install 'ember[distributed]'`). 'nccl'
is not built in, as in a CPU build of PyTorch."""
from .backend import Backend
from .distributed_c10d import *  # noqa: F401,F403
from .distributed_c10d import __all__ as _c10d_all
from .errors import DistError, DistBackendError, DistNetworkError, DistStoreError
from .process_group import ProcessGroup
from .reduce_op import ReduceOp, RedOpType
from .store import Store, TCPStore, HashStore, PrefixStore
from .work import Work

ProcessGroupGloo = ProcessGroup

__all__ = list(_c10d_all) + ["DistError", "DistBackendError", "DistNetworkError", "DistStoreError", "Store",
                             "TCPStore", "HashStore", "PrefixStore", "ProcessGroupGloo"]
