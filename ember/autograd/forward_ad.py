"""Forward-mode AD is not part of ember; this module exists so imports of it fail clearly on use."""


def dual_level():
    raise NotImplementedError("ember does not implement forward-mode AD (torch.autograd.forward_ad)")


def make_dual(*a, **k):
    raise NotImplementedError("ember does not implement forward-mode AD (torch.autograd.forward_ad)")
