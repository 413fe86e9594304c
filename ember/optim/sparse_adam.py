"""SparseAdam (`torch.optim.SparseAdam`): Adam that touches only the entries a gradient has.

ember has no sparse layout, so a dense gradient is read as the sparse one torch would get from
`grad.to_sparse()`: its nonzero entries are the ones updated.
"""
from .._tensor import Tensor
from .optimizer import Optimizer, _to_scalar

__all__ = ["SparseAdam"]


class SparseAdam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 < _to_scalar(lr):
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        for i in (0, 1):
            if not 0.0 <= betas[i] < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {betas[i]}")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, maximize=maximize))
        complex_params = [[i, j] for i, g in enumerate(self.param_groups) for j, p in enumerate(g["params"])
                          if p.is_complex()]
        if complex_params:
            raise ValueError(f"Complex params at indices {complex_params}: SparseAdam does not support complex "
                             "parameters")

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, eps = _to_scalar(group["lr"]), group["eps"]
            beta1, beta2 = group["betas"]
            for p in self._with_grad(group):
                state = self.state[p]
                xp = p._device.xp
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = self._zeros(p)
                    state["exp_avg_sq"] = self._zeros(p)
                state["step"] += 1
                step = state["step"]
                g = p._grad._data
                mask = g != 0
                if not mask.any():
                    continue
                vals = -g[mask] if group.get("maximize", False) else g[mask]
                m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
                old_m, old_v = m[mask], v[mask]
                dm = (vals - old_m) * (1 - beta1)
                dv = (vals ** 2 - old_v) * (1 - beta2)
                m[mask] += dm
                v[mask] += dv
                dm += old_m
                dv += old_v
                xp.sqrt(dv, out=dv)
                dv += eps
                step_size = lr * (1 - beta2 ** step) ** 0.5 / (1 - beta1 ** step)
                p._data[mask] += -step_size * (dm / dv)
                p._bump()
        return loss
