"""ember.vision.models: torchvision's classification models, their pretrained-weights enums and
the model registry (``list_models``, ``get_model``, ``get_model_weights``, ``get_weight``)."""
from .alexnet import *  # noqa: F401,F403
from .densenet import *  # noqa: F401,F403
from .efficientnet import *  # noqa: F401,F403
from .googlenet import *  # noqa: F401,F403
from .inception import *  # noqa: F401,F403
from .mobilenet import *  # noqa: F401,F403
from .resnet import *  # noqa: F401,F403
from .squeezenet import *  # noqa: F401,F403
from .vgg import *  # noqa: F401,F403
from . import detection  # noqa: F401
from . import segmentation  # noqa: F401
from ._api import get_model, get_model_builder, get_model_weights, get_weight, list_models, Weights, WeightsEnum  # noqa
