"""Compose, RandomApply, RandomChoice, RandomOrder: transforms made of other transforms."""
from collections.abc import Sequence

from ....nn import ModuleList
from ._transform import Transform


def _check_transforms(transforms, allow_module_list=False):
    allowed = (Sequence, ModuleList) if allow_module_list else Sequence
    if not isinstance(transforms, allowed):
        raise TypeError("Argument transforms should be a sequence of callables"
                        + (" or a `nn.ModuleList`" if allow_module_list else ""))
    if not transforms:
        raise ValueError("Pass at least one transform")


def _run_in_turn(transforms, inputs):
    """Feed inputs through the transforms; several inputs travel as a tuple, one input as itself."""
    needs_unpacking = len(inputs) > 1
    for transform in transforms:
        outputs = transform(*inputs)
        inputs = outputs if needs_unpacking else (outputs,)
    return outputs


def _listing(transforms):
    return "\n".join(f"    {t}" for t in transforms)


class Compose(Transform):
    """Apply transforms one after another."""

    def __init__(self, transforms):
        super().__init__()
        _check_transforms(transforms)
        self.transforms = transforms

    def forward(self, *inputs):
        return _run_in_turn(self.transforms, inputs)

    def extra_repr(self):
        return _listing(self.transforms)


class RandomApply(Transform):
    """Apply the list of transforms with probability p."""

    def __init__(self, transforms, p=0.5):
        super().__init__()
        _check_transforms(transforms, allow_module_list=True)
        self.transforms = transforms
        if not (0.0 <= p <= 1.0):
            raise ValueError("`p` should be a floating point value in the interval [0.0, 1.0].")
        self.p = p

    def forward(self, *inputs):
        from .... import rand
        if rand(1) >= self.p:
            return inputs if len(inputs) > 1 else inputs[0]
        return _run_in_turn(self.transforms, inputs)

    def extra_repr(self):
        return _listing(self.transforms)


class RandomChoice(Transform):
    """Apply one transform picked at random (with probabilities p, normalized to sum 1)."""

    def __init__(self, transforms, p=None):
        _check_transforms(transforms)
        if p is None:
            p = [1] * len(transforms)
        elif len(p) != len(transforms):
            raise ValueError(f"Length of p doesn't match the number of transforms: {len(p)} != {len(transforms)}")
        super().__init__()
        self.transforms = transforms
        total = sum(p)
        self.p = [prob / total for prob in p]

    def forward(self, *inputs):
        from .... import multinomial, tensor
        return self.transforms[int(multinomial(tensor(self.p), 1))](*inputs)


class RandomOrder(Transform):
    """Apply the transforms in a random order."""

    def __init__(self, transforms):
        _check_transforms(transforms)
        super().__init__()
        self.transforms = transforms

    def forward(self, *inputs):
        from .... import randperm
        return _run_in_turn([self.transforms[int(i)] for i in randperm(len(self.transforms))], inputs)
