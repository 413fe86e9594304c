"""torch.backends.openmp: ember's parallelism is BLAS's own threads, not OpenMP."""


def is_available():
    return False
