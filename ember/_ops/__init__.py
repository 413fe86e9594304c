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
