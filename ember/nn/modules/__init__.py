"""Every layer module of ember.nn."""
from .module import Module  # noqa: F401
from .container import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .lazy import LazyModuleMixin  # noqa: F401
from .flatten import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .fold import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .padding import *  # noqa: F401,F403
from .activation import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .batchnorm import *  # noqa: F401,F403
from .instancenorm import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .sparse import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .pixelshuffle import *  # noqa: F401,F403
from .upsampling import *  # noqa: F401,F403
from .distance import *  # noqa: F401,F403
from .channelshuffle import *  # noqa: F401,F403
from .rnn import *  # noqa: F401,F403
from .adaptive import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
from .transformer import *  # noqa: F401,F403

from . import (container, linear, flatten, conv, fold, pooling, padding, activation, normalization,  # noqa: E402
               batchnorm, instancenorm, dropout, sparse, loss, pixelshuffle, upsampling, distance, channelshuffle,
               rnn, adaptive, attention, transformer)

__all__ = ["Module", "LazyModuleMixin"] + [name for mod in (
    container, linear, flatten, conv, fold, pooling, padding, activation, normalization, batchnorm, instancenorm,
    dropout, sparse, loss, pixelshuffle, upsampling, distance, channelshuffle, rnn, adaptive, attention, transformer)
    for name in mod.__all__]
