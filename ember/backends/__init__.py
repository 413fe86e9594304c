"""ember.backends: torch.backends' switches. ember has no cuDNN, MKL-DNN, OpenMP or MPS kernels, so
the flags are kept (scripts set and read them, e.g. `cudnn.benchmark = True`) and change nothing."""
from . import cpu, cuda, cudnn, mkldnn, mps, openmp  # noqa: F401
