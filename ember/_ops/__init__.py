"""Every primitive op family; importing this attaches the Tensor methods.

Each family module lists its public functions in `__all__`; they become `ember.<name>`."""
from . import elementwise, reduction, movement, linalg, conversion, nn_ops  # noqa: F401
from .elementwise import *  # noqa: F401,F403
from .reduction import *  # noqa: F401,F403
from .movement import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403
from .conversion import *  # noqa: F401,F403
from .nn_ops import *  # noqa: F401,F403

__all__ = (elementwise.__all__ + reduction.__all__ + movement.__all__ + linalg.__all__ + conversion.__all__
           + nn_ops.__all__)
