"""torch.backends.cudnn: flags kept for scripts that set them; ember runs no cuDNN kernels."""
import contextlib
import sys

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True
benchmark_limit = None


def is_available():
    return False


def version():
    return None


@contextlib.contextmanager
def flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False, allow_tf32=True,
          fp32_precision="none", depthwise_kernel="auto"):
    """Set the flags for the duration of the block, restoring the previous values after it (the last two
    choose cuDNN kernels: accepted, nothing to choose here)."""
    this = sys.modules[__name__]
    names = ("enabled", "benchmark", "benchmark_limit", "deterministic", "allow_tf32")
    saved = {n: getattr(this, n) for n in names}
    for n, v in zip(names, (enabled, benchmark, benchmark_limit, deterministic, allow_tf32)):
        setattr(this, n, v)
    try:
        yield
    finally:
        for n, v in saved.items():
            setattr(this, n, v)
