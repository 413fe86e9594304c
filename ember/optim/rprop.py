"""Rprop: sign-based steps with per-element adaptive step sizes (`torch.optim.Rprop`)."""
from .optimizer import Optimizer, _check_lr, _real, _step_tensor, _to_scalar

__all__ = ["Rprop"]


class Rprop(Optimizer):
    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False, foreach=None,
                 maximize=False, differentiable=False):
        _check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            etaminus, etaplus = group["etas"]
            lo, hi = group["step_sizes"]
            for p in self._with_grad(group):
                state = self.state[p]
                xp = p._device.xp
                if not state:
                    lr = _to_scalar(group["lr"])
                    state["step"] = _step_tensor()
                    state["prev"] = self._zeros(p)
                    state["step_size"] = self._zeros(p, complex(lr, lr) if p.is_complex() else lr)
                state["step"]._data += 1
                g = self._grad(p, group["maximize"])
                prev, size = _real(state["prev"]._data), _real(state["step_size"]._data)
                factor = self._buf(p, 1)
                xp.multiply(g, prev, out=factor)
                xp.sign(factor, out=factor)
                factor[factor > 0] = etaplus
                factor[factor < 0] = etaminus
                factor[factor == 0] = 1
                size *= factor
                xp.clip(size, lo, hi, out=size)
                prev[...] = g
                prev[factor == etaminus] = 0      # after a sign change, skip this step and forget the gradient
                xp.sign(prev, out=factor)
                factor *= size
                pd = _real(p._data)
                pd -= factor
                p._bump()
        return loss
