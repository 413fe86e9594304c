"""torch.backends.cuda: matmul precision flags (kept; CuPy computes in the tensors' dtype)."""
import types

matmul = types.SimpleNamespace(allow_tf32=False, allow_fp16_reduced_precision_reduction=True,
                               allow_bf16_reduced_precision_reduction=True)


def is_built():
    """Whether ember can use CUDA here (its CUDA backend is CuPy)."""
    from .. import cuda
    return cuda.is_available()
