"""spectral_norm (the hook-based form): weight = weight_orig / sigma, sigma from power iteration."""
import numpy as np

from ..._device import CPU
from ..._tensor import Tensor

__all__ = ["spectral_norm", "remove_spectral_norm", "SpectralNorm"]


def _normalize(a, eps):
    return a / max(float(np.linalg.norm(a)), eps)


class SpectralNorm:
    _version = 1

    def __init__(self, name="weight", n_power_iterations=1, dim=0, eps=1e-12):
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.name = name
        self.dim = dim
        self.n_power_iterations = n_power_iterations
        self.eps = eps

    def reshape_weight_to_matrix(self, weight):
        w = weight
        if self.dim != 0:
            w = w.permute(self.dim, *[d for d in range(w.dim()) if d != self.dim])
        return w.reshape(w.shape[0], -1)

    def compute_weight(self, module, do_power_iteration):
        weight = getattr(module, self.name + "_orig")
        dev = weight._device
        if dev is not CPU and dev.needs_switch():
            return dev.call(self.compute_weight, module, do_power_iteration)
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        mat = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            m = mat._device.backend.asnumpy(mat._data).astype(np.float64)
            ua = u._device.backend.asnumpy(u._data).astype(np.float64)
            va = v._device.backend.asnumpy(v._data).astype(np.float64)
            for _ in range(self.n_power_iterations):
                va = _normalize(m.T @ ua, self.eps)
                ua = _normalize(m @ va, self.eps)
            u._data[...] = u._device.xp.asarray(ua.astype(u._data.dtype))
            v._data[...] = v._device.xp.asarray(va.astype(v._data.dtype))
            u._bump()
            v._bump()
            u, v = u.clone(), v.clone()
        sigma = (u * (mat @ v)).sum()
        return weight / sigma

    def remove(self, module):
        from ...autograd.grad_mode import no_grad
        from ..parameter import Parameter
        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        delattr(module, self.name)
        delattr(module, self.name + "_u")
        delattr(module, self.name + "_v")
        delattr(module, self.name + "_orig")
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module, do_power_iteration=module.training))

    @staticmethod
    def apply(module, name, n_power_iterations, dim, eps):
        import ember
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, SpectralNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two spectral_norm hooks on the same parameter {name}")
        fn = SpectralNorm(name, n_power_iterations, dim, eps)
        weight = module._parameters[name]
        mat = fn.reshape_weight_to_matrix(weight.detach())
        h, w = mat.shape
        with ember.no_grad():       # torch's draws: normal_ on new tensors shaped like the matrix's sides
            u = ember.nn.functional.normalize(weight.new_empty(h).normal_(0, 1), dim=0, eps=eps)
            v = ember.nn.functional.normalize(weight.new_empty(w).normal_(0, 1), dim=0, eps=eps)
        delattr(module, name)
        module.register_parameter(name + "_orig", weight)
        setattr(module, name, weight.detach())
        module.register_buffer(name + "_u", u)
        module.register_buffer(name + "_v", v)
        module.register_forward_pre_hook(fn)
        return fn


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    if dim is None:
        from ..modules.conv import _ConvTransposeNd
        dim = 1 if isinstance(module, _ConvTransposeNd) else 0
    SpectralNorm.apply(module, name, n_power_iterations, dim, eps)
    return module


def remove_spectral_norm(module, name="weight"):
    for k, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, SpectralNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"spectral_norm of '{name}' not found in {module}")
