"""Every primitive op family; importing this attaches the Tensor methods."""
from . import elementwise, reduction, movement, linalg, conversion  # noqa: F401
from .elementwise import (add, sub, subtract, mul, multiply, div, divide, true_divide, floor_divide, neg, negative,
                          pow, float_power, exp, log, relu, eq, ne, lt, le, gt, ge, not_equal, less, less_equal,
                          greater, greater_equal)
from .reduction import sum, mean
from .movement import view_as, reshape, expand_as, broadcast_to, permute, transpose, swapaxes, swapdims, t
from .linalg import matmul, mm, addmm
from .conversion import clone

__all__ = [n for n in dir() if not n.startswith("_") and n not in (
    "elementwise", "reduction", "movement", "linalg", "conversion")]
