"""Adamax: Adam with an infinity-norm second moment (`torch.optim.Adamax`)."""
from .optimizer import Optimizer, _check_betas, _check_lr, _check_nonneg, _lerp_, _real, _step_tensor, _to_scalar

__all__ = ["Adamax"]


class Adamax(Optimizer):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        _check_lr(lr)
        _check_betas(betas, eps)
        _check_nonneg("weight_decay", weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, eps = _to_scalar(group["lr"]), group["eps"]
            beta1, beta2 = group["betas"]
            for p in self._with_grad(group):
                state = self.state[p]
                xp = p._device.xp
                if not state:
                    state["step"] = _step_tensor()
                    state["exp_avg"] = self._zeros(p)
                    state["exp_inf"] = self._zeros(p)
                state["step"]._data += 1
                step = float(state["step"]._data)
                g = self._grad(p, group["maximize"], group["weight_decay"])
                m, u = _real(state["exp_avg"]._data), _real(state["exp_inf"]._data)
                tmp = self._buf(p, 1)
                _lerp_(xp, m, g, 1 - beta1, tmp)
                u *= beta2
                xp.abs(g, out=tmp)
                tmp += eps
                xp.maximum(u, tmp, out=u)
                xp.divide(m, u, out=tmp)
                tmp *= -lr / (1 - beta1 ** step)
                pd = _real(p._data)
                pd += tmp
                p._bump()
        return loss
