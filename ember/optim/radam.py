"""RAdam: Adam with a rectified adaptive learning rate (`torch.optim.RAdam`)."""
from .optimizer import Optimizer, _addcmul_, _check_betas, _check_lr, _check_nonneg, _lerp_, _real, _step_tensor, \
    _to_scalar

__all__ = ["RAdam"]


class RAdam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
                 *, foreach=None, maximize=False, capturable=False, differentiable=False):
        _check_lr(lr)
        _check_betas(betas, eps)
        _check_nonneg("weight_decay", weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, eps, wd = _to_scalar(group["lr"]), group["eps"], group["weight_decay"]
            beta1, beta2 = group["betas"]
            decoupled = group["decoupled_weight_decay"]
            rho_inf = 2 / (1 - beta2) - 1
            for p in self._with_grad(group):
                state = self.state[p]
                xp = p._device.xp
                if not state:
                    state["step"] = _step_tensor()
                    state["exp_avg"] = self._zeros(p)
                    state["exp_avg_sq"] = self._zeros(p)
                state["step"]._data += 1
                step = float(state["step"]._data)
                pd = _real(p._data)
                if wd != 0 and decoupled:
                    pd *= 1 - lr * wd
                g = self._grad(p, group["maximize"], 0 if decoupled else wd)
                m, v = _real(state["exp_avg"]._data), _real(state["exp_avg_sq"]._data)
                upd, tmp = self._buf(p, 1), self._buf(p, 2)
                _lerp_(xp, m, g, 1 - beta1, tmp)
                v *= beta2
                _addcmul_(xp, v, g, g, 1 - beta2, tmp)
                bc2 = 1 - beta2 ** step
                xp.divide(m, 1 - beta1 ** step, out=upd)
                upd *= lr
                rho_t = rho_inf - 2 * step * beta2 ** step / bc2
                if rho_t > 5.0:
                    rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                    xp.sqrt(v, out=tmp)
                    tmp += eps
                    xp.divide(bc2 ** 0.5, tmp, out=tmp)
                    upd *= tmp
                    upd *= rect
                pd -= upd
                p._bump()
        return loss
