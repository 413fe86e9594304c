"""VisionDataset: the base class of ember.vision's datasets (root, transforms and the common repr)."""
import os

from ...utils.data import Dataset


def _indent_block(obj, head):
    """repr(obj) with `head` in front of its first line and the other lines aligned under it."""
    first, *rest = repr(obj).splitlines() or [""]
    return [head + first] + [" " * len(head) + line for line in rest]


class VisionDataset(Dataset):
    """Base class: stores `root`, `transform`, `target_transform` and the joint `transforms`.

    `transforms` (a callable taking and returning `(input, target)`) and the pair
    `transform`/`target_transform` are mutually exclusive.
    """

    _repr_indent = 4

    def __init__(self, root=None, transforms=None, transform=None, target_transform=None):
        if isinstance(root, str):
            root = os.path.expanduser(root)
        self.root = root
        separate = transform is not None or target_transform is not None
        if transforms is not None and separate:
            raise ValueError("Only transforms or transform/target_transform can be passed as argument")
        self.transform = transform
        self.target_transform = target_transform
        self.transforms = StandardTransform(transform, target_transform) if separate else transforms

    def __getitem__(self, index):
        raise NotImplementedError

    def __len__(self):
        raise NotImplementedError

    def extra_repr(self):
        return ""

    def _format_transform_repr(self, transform, head):
        return _indent_block(transform, head)

    def __repr__(self):
        body = [f"Number of datapoints: {self.__len__()}"]
        if self.root is not None:
            body.append(f"Root location: {self.root}")
        body += self.extra_repr().splitlines()
        if getattr(self, "transforms", None) is not None:
            body.append(repr(self.transforms))
        pad = " " * self._repr_indent
        return "\n".join([f"Dataset {type(self).__name__}"] + [pad + line for line in body])


class StandardTransform:
    """Applies `transform` to the input and `target_transform` to the target."""

    def __init__(self, transform=None, target_transform=None):
        self.transform = transform
        self.target_transform = target_transform

    def __call__(self, input, target):
        if self.transform is not None:
            input = self.transform(input)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return input, target

    def _format_transform_repr(self, transform, head):
        return _indent_block(transform, head)

    def __repr__(self):
        lines = [type(self).__name__]
        if self.transform is not None:
            lines += _indent_block(self.transform, "Transform: ")
        if self.target_transform is not None:
            lines += _indent_block(self.target_transform, "Target transform: ")
        return "\n".join(lines)
