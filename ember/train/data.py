"""Datasets and data loaders `ember train` knows by name (config "data_loader": {"type": ...}).

A data loader here is the training DataLoader itself, plus `split_validation()` and `split_test()`
returning loaders over held-out parts, and `input_spec` describing one input (for `ember predict`).
Splits are drawn from their own generator seeded with `split_seed`, so they do not move when the
training seed changes.
"""
import gzip
import os

import numpy as np

from .. import Generator, randperm, tensor
from ..utils.data import DataLoader, Subset, TensorDataset
from .config import ConfigError

__all__ = ["DigitsDataset", "BaseDataLoader", "DigitsDataLoader", "MnistDataLoader", "FashionMnistDataLoader",
           "Cifar10DataLoader", "DATA_LOADERS", "DIGITS_PATH"]

DIGITS_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "digits.csv.gz")


class DigitsDataset(TensorDataset):
    """UCI handwritten digits: 1797 images 1x8x8 (float32 in [0, 1]) with labels 0..9 (int64)."""

    classes = [str(i) for i in range(10)]

    def __init__(self, path=None):
        path = path or DIGITS_PATH
        if os.path.isdir(path):
            path = os.path.join(path, "digits.csv.gz")
        if not os.path.isfile(path):
            raise ConfigError(f"digits data file not found: '{path}'")
        with (gzip.open(path, "rt") if path.endswith(".gz") else open(path)) as f:
            table = np.loadtxt(f, delimiter=",", dtype=np.float32)
        images = (table[:, :64] / 16.0).reshape(-1, 1, 8, 8)
        super().__init__(tensor(images), tensor(table[:, 64].astype(np.int64)))


def _count(fraction, n, key):
    if isinstance(fraction, int) and not isinstance(fraction, bool):
        count = fraction
    elif isinstance(fraction, float) and 0.0 <= fraction < 1.0:
        count = int(round(n * fraction))
    else:
        raise ConfigError(f"config key 'data_loader.args.{key}' must be a fraction in [0, 1) or a sample count, "
                          f"got {fraction!r}")
    if not 0 <= count < n:
        raise ConfigError(f"config key 'data_loader.args.{key}' = {fraction!r} leaves no training samples "
                          f"(dataset has {n})")
    return count


class BaseDataLoader(DataLoader):
    """Training loader over a seeded split of `dataset` into train / validation (/ test) parts.

    With `test_dataset` the test part is that dataset; otherwise `test_split` of `dataset` is held out."""

    def __init__(self, dataset, batch_size, shuffle=True, validation_split=0.1, num_workers=0, test_dataset=None,
                 test_split=0.0, split_seed=42, input_spec=None, **loader_kwargs):
        n = len(dataset)
        n_val = _count(validation_split, n, "validation_split")
        n_test = 0 if test_dataset is not None else _count(test_split, n, "test_split")
        if n_val + n_test >= n:
            raise ConfigError("config keys 'data_loader.args.validation_split' + 'test_split' leave no training samples")
        perm = randperm(n, generator=Generator().manual_seed(split_seed)).tolist()
        self.test_set = test_dataset if test_dataset is not None else Subset(dataset, perm[:n_test])
        self.valid_set = Subset(dataset, perm[n_test:n_test + n_val])
        self.train_set = Subset(dataset, perm[n_test + n_val:])
        self.input_spec = dict(input_spec or {})
        self._loader_kwargs = dict(num_workers=num_workers, **loader_kwargs)
        super().__init__(self.train_set, batch_size=batch_size, shuffle=shuffle, **self._loader_kwargs)

    def _loader(self, ds, batch_size):
        if ds is None or len(ds) == 0:
            return None
        return DataLoader(ds, batch_size=batch_size or self.batch_size, shuffle=False, **self._loader_kwargs)

    def split_validation(self, batch_size=None):
        """Loader over the validation part (None when validation_split is 0)."""
        return self._loader(self.valid_set, batch_size)

    def split_test(self, batch_size=None):
        """Loader over the test part (None when there is none)."""
        return self._loader(self.test_set, batch_size)


class DigitsDataLoader(BaseDataLoader):
    """The shipped digits data, split 70/15/15 into train/validation/test by default."""

    def __init__(self, data_dir=None, batch_size=64, shuffle=True, validation_split=0.15, test_split=0.15,
                 num_workers=0, split_seed=42):
        spec = {"shape": [1, 8, 8], "mean": [0.0], "std": [1.0], "invert_light_background": True,
                "classes": DigitsDataset.classes}
        super().__init__(DigitsDataset(data_dir), batch_size, shuffle, validation_split, num_workers,
                         test_split=test_split, split_seed=split_seed, input_spec=spec)


def _vision(name):
    try:
        from ..vision import datasets, transforms
        return getattr(datasets, name), transforms
    except (ImportError, AttributeError) as e:
        raise ConfigError(f"data loader for {name} needs ember.vision.datasets.{name} and ember.vision.transforms, "
                          f"which are not available here ({e})") from None


class _VisionDataLoader(BaseDataLoader):
    dataset_name, mean, std, shape, invert = None, None, None, None, False

    def __init__(self, data_dir="data/", batch_size=128, shuffle=True, validation_split=0.1, num_workers=2,
                 download=True, split_seed=42):
        cls, T = _vision(self.dataset_name)
        tf = T.Compose([T.ToTensor(), T.Normalize(self.mean, self.std)])
        train = cls(data_dir, train=True, download=download, transform=tf)
        test = cls(data_dir, train=False, download=download, transform=tf)
        spec = {"shape": list(self.shape), "mean": list(self.mean), "std": list(self.std),
                "invert_light_background": self.invert, "classes": list(getattr(train, "classes", []))}
        super().__init__(train, batch_size, shuffle, validation_split, num_workers, test_dataset=test,
                         split_seed=split_seed, input_spec=spec)


class MnistDataLoader(_VisionDataLoader):
    dataset_name, mean, std, shape, invert = "MNIST", (0.1307,), (0.3081,), (1, 28, 28), True


class FashionMnistDataLoader(_VisionDataLoader):
    dataset_name, mean, std, shape, invert = "FashionMNIST", (0.2860,), (0.3530,), (1, 28, 28), True


class Cifar10DataLoader(_VisionDataLoader):
    dataset_name, shape = "CIFAR10", (3, 32, 32)
    mean, std = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)


DATA_LOADERS = {"DigitsDataLoader": DigitsDataLoader, "MnistDataLoader": MnistDataLoader,
                "FashionMnistDataLoader": FashionMnistDataLoader, "Cifar10DataLoader": Cifar10DataLoader}
