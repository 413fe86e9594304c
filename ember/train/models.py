"""Models `ember train` knows by name (config "arch": {"type": ...})."""
from .. import nn

__all__ = ["DigitsCNN", "SimpleCNN", "MLP", "MODELS", "model_table"]


def _block(cin, cout):
    return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU()]


class SimpleCNN(nn.Module):
    """conv-bn-relu x2, max-pool, conv-bn-relu, max-pool down to at most 4x4, dropout, linear.

    Works for any square input size (8x8 digits, 28x28 MNIST, 32x32 CIFAR)."""

    def __init__(self, in_channels=1, num_classes=10, image_size=8, width=32, dropout=0.3):
        super().__init__()
        layers = _block(in_channels, width) + _block(width, width) + [nn.MaxPool2d(2)] + _block(width, 2 * width)
        size = image_size // 2
        while size > 4:
            layers.append(nn.MaxPool2d(2))
            size //= 2
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(dropout), nn.Linear(2 * width * size * size,
                                                                                     num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


class DigitsCNN(SimpleCNN):
    """The default model: SimpleCNN for 8x8 one-channel digits, 10 classes (about 39 k parameters)."""

    def __init__(self, num_classes=10, width=32, dropout=0.3):
        super().__init__(1, num_classes, 8, width, dropout)


class MLP(nn.Module):
    """Flatten, then hidden Linear+ReLU layers, then a Linear classifier."""

    def __init__(self, in_features=64, num_classes=10, hidden=(128,), dropout=0.0):
        super().__init__()
        layers, prev = [nn.Flatten()], in_features
        for h in hidden:
            layers += [nn.Linear(prev, h), nn.ReLU()] + ([nn.Dropout(dropout)] if dropout else [])
            prev = h
        layers.append(nn.Linear(prev, num_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


MODELS = {"DigitsCNN": DigitsCNN, "SimpleCNN": SimpleCNN, "MLP": MLP}


def model_table():
    """Built-in models plus the classes of ember.vision.models when that package provides any."""
    table = {}
    try:
        from ..vision import models as vm
        for name in dir(vm):
            obj = getattr(vm, name)
            if isinstance(obj, type) and issubclass(obj, nn.Module) or (
                    callable(obj) and name[:1].islower() and not name.startswith(("_", "get_", "list_")) and
                    getattr(obj, "__module__", "").startswith("ember.vision.models")):
                table[name] = obj
    except Exception:   # ember.vision.models is optional and may be incomplete
        pass
    table.update(MODELS)
    return table
