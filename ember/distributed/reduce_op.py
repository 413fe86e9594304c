"""ReduceOp: the reductions collectives apply, and their NumPy implementations."""
import enum

import numpy as np

__all__ = ["ReduceOp", "RedOpType"]


class RedOpType(enum.IntEnum):
    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7
    PREMUL_SUM = 8
    UNUSED = 9

    def __repr__(self):
        return f"<RedOpType.{self.name}: {self.value}>"

    def __str__(self):
        return f"RedOpType.{self.name}"


class ReduceOp:
    """torch.distributed.ReduceOp: `ReduceOp.SUM` and friends are RedOpType members."""
    RedOpType = RedOpType
    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX
    BAND = RedOpType.BAND
    BOR = RedOpType.BOR
    BXOR = RedOpType.BXOR
    PREMUL_SUM = RedOpType.PREMUL_SUM
    UNUSED = RedOpType.UNUSED

    def __init__(self, op=RedOpType.SUM):
        self.op = RedOpType(op)

    def __eq__(self, other):
        return self.op == (other.op if isinstance(other, ReduceOp) else other)

    def __hash__(self):
        return hash(self.op)

    def __repr__(self):
        return repr(self.op)


_BINARY = {RedOpType.SUM: np.add, RedOpType.AVG: np.add, RedOpType.PRODUCT: np.multiply,
           RedOpType.MIN: np.minimum, RedOpType.MAX: np.maximum, RedOpType.BAND: np.bitwise_and,
           RedOpType.BOR: np.bitwise_or, RedOpType.BXOR: np.bitwise_xor}


def as_op(op):
    op = RedOpType(op.op if isinstance(op, ReduceOp) else op)
    if op not in _BINARY:
        raise ValueError(f"ReduceOp.{op.name} is not supported by ember's backends")
    return op


def check(op, dtype):
    """Raise torch's error for a bitwise reduction on a non-integral dtype."""
    if op in (RedOpType.BAND, RedOpType.BOR, RedOpType.BXOR) and dtype.kind not in "biu":
        raise RuntimeError(f"Cannot use ReduceOp.{op.name} with non-integral dtype")


def reduce_arrays(op, arrays):
    """Fold `arrays` (in rank order, so every rank gets the same bits) with `op`; AVG divides by their count."""
    out = np.array(arrays[0], copy=True)
    fn = _BINARY[op]
    if out.dtype == np.bool_ and op in (RedOpType.SUM, RedOpType.AVG):
        fn = np.logical_or
    elif out.dtype == np.bool_ and op == RedOpType.PRODUCT:
        fn = np.logical_and
    for a in arrays[1:]:
        fn(out, a, out=out)
    if op == RedOpType.AVG and out.dtype != np.bool_:
        if out.dtype.kind in "iu":
            out = np.floor_divide(out, len(arrays)).astype(out.dtype)
        else:
            out = (out / np.asarray(len(arrays), dtype=out.dtype)).astype(out.dtype)
    return out
