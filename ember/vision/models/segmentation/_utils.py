"""What the segmentation models share: the backbone + classifier(s) model, the handling of the
builders' ``weights``/``num_classes``/``aux_loss`` arguments and MobileNetV3's stage boundaries."""
from collections import OrderedDict

from .... import nn
from ....nn import functional as F
from .._utils import IntermediateLayerGetter, _load_weights, _ovewrite_value_param
from ..mobilenetv3 import mobilenet_v3_large


class _SimpleSegmentationModel(nn.Module):
    """``backbone`` returns a dict of feature maps; ``classifier`` turns ``features["out"]`` into
    per-class scores and ``aux_classifier`` (optional, for an auxiliary training loss) does the same
    with ``features["aux"]``. Both score maps are upsampled bilinearly to the input's size and
    returned in an OrderedDict under "out" and "aux"."""

    __constants__ = ["aux_classifier"]

    def __init__(self, backbone, classifier, aux_classifier=None):
        super().__init__()
        self.backbone = backbone
        self.classifier = classifier
        self.aux_classifier = aux_classifier

    def forward(self, x):
        size = x.shape[-2:]
        features = self.backbone(x)
        result = OrderedDict()
        result["out"] = _upsample(self.classifier(features["out"]), size)
        if self.aux_classifier is not None:
            result["aux"] = _upsample(self.aux_classifier(features["aux"]), size)
        return result


def _upsample(x, size):
    """Bilinear resize of score maps to ``size`` (h, w), as every segmentation head does it."""
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


def _resolve_builder_args(weights, weights_backbone, num_classes, aux_loss):
    """The (weights_backbone, num_classes, aux_loss) a builder goes on with: full-model ``weights``
    replace the backbone's and fix the number of classes and the auxiliary head (a conflicting
    request is an error); without them a model has 21 classes unless told otherwise."""
    if weights is None:
        return weights_backbone, (21 if num_classes is None else num_classes), aux_loss
    num_classes = _ovewrite_value_param("num_classes", num_classes, len(weights.meta["categories"]))
    aux_loss = _ovewrite_value_param("aux_loss", aux_loss, True)
    return None, num_classes, aux_loss


def _mobilenet_stage_indices(features):
    """Indices in MobileNetV3's ``features`` where each stage ends: the stem (C0), every strided
    block (C1 ... Cn-1) and the last layer (Cn)."""
    return [0] + [i for i, block in enumerate(features) if getattr(block, "_is_cn", False)] + [len(features) - 1]


def _resnet_features(backbone, aux):
    """The ResNet's layer4 output as "out" and, with an auxiliary head, layer3's as "aux"."""
    return_layers = {"layer4": "out"}
    if aux:
        return_layers["layer3"] = "aux"
    return IntermediateLayerGetter(backbone, return_layers=return_layers)


def _build_resnet_model(assemble, resnet_builder, weights, progress, num_classes, aux_loss, weights_backbone):
    """A segmentation model on a ResNet whose layer3 and layer4 use dilation instead of stride
    (output stride 8): ``assemble(backbone, num_classes, aux)`` builds it, then ``weights`` load."""
    weights_backbone, num_classes, aux_loss = _resolve_builder_args(weights, weights_backbone, num_classes, aux_loss)
    backbone = resnet_builder(weights=weights_backbone, replace_stride_with_dilation=[False, True, True])
    model = assemble(backbone, num_classes, aux_loss)
    return model if weights is None else _load_weights(model, weights, progress)


def _build_mobilenet_model(assemble, weights, progress, num_classes, aux_loss, weights_backbone):
    """A segmentation model on a dilated MobileNetV3-Large (last stage dilated, output stride 16):
    ``assemble(backbone, num_classes, aux)`` builds it, then ``weights`` load."""
    weights_backbone, num_classes, aux_loss = _resolve_builder_args(weights, weights_backbone, num_classes, aux_loss)
    backbone = mobilenet_v3_large(weights=weights_backbone, dilated=True)
    model = assemble(backbone, num_classes, aux_loss)
    return model if weights is None else _load_weights(model, weights, progress)
