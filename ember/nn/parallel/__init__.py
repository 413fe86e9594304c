"""ember.nn.parallel: DataParallel and DistributedDataParallel (distributed.py).

ember runs a model on one device at a time, so DataParallel wraps it the way PyTorch's does on a
machine without GPUs: the wrapped module is `.module` (state_dict keys gain the `module.` prefix
that checkpoints written from a DataParallel model carry) and forward calls it directly, on
`device_ids[0]` when CUDA devices are given."""
from ..modules.module import Module

from .distributed import DistributedDataParallel

__all__ = ["DataParallel", "data_parallel", "DistributedDataParallel"]


class DataParallel(Module):
    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        from ... import cuda
        from ..._device import device as _device
        self.module = module
        self.dim = dim
        if not cuda.is_available():
            self.device_ids, self.output_device, self.src_device_obj = [], None, None
            return
        if device_ids is None:
            device_ids = list(range(cuda.device_count()))
        self.device_ids = [d if isinstance(d, int) else _device(d).index or 0 for d in device_ids]
        self.output_device = self.device_ids[0] if output_device is None else output_device
        self.src_device_obj = _device("cuda", self.device_ids[0])
        module.to(self.src_device_obj)

    def forward(self, *inputs, **kwargs):
        if not self.device_ids:
            return self.module(*inputs, **kwargs)
        dev = self.src_device_obj
        moved = [x.to(dev) if hasattr(x, "to") and hasattr(x, "_data") else x for x in inputs]
        return self.module(*moved, **kwargs)


def data_parallel(module, inputs, device_ids=None, output_device=None, dim=0, module_kwargs=None):
    """module(*inputs) (one device: see the module docstring)."""
    if not isinstance(inputs, tuple):
        inputs = (inputs,) if inputs is not None else ()
    return DataParallel(module, device_ids, output_device, dim)(*inputs, **(module_kwargs or {}))
