"""torch.backends.mkldnn: ember's CPU kernels are NumPy's (BLAS for matrix products), not oneDNN."""
enabled = True


def is_available():
    return False
