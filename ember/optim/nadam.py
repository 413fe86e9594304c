"""NAdam: Adam with Nesterov momentum and a momentum-decay schedule (`torch.optim.NAdam`)."""
from .optimizer import Optimizer, _addcmul_, _check_betas, _check_lr, _check_nonneg, _lerp_, _real, _step_tensor, \
    _to_scalar

__all__ = ["NAdam"]


class NAdam(Optimizer):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        _check_lr(lr)
        _check_betas(betas, eps)
        _check_nonneg("weight_decay", weight_decay)
        _check_nonneg("momentum_decay", momentum_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, eps, wd = _to_scalar(group["lr"]), group["eps"], group["weight_decay"]
            beta1, beta2 = group["betas"]
            decoupled, psi = group["decoupled_weight_decay"], group["momentum_decay"]
            for p in self._with_grad(group):
                state = self.state[p]
                xp = p._device.xp
                if not state:
                    state["step"] = _step_tensor()
                    state["mu_product"] = _step_tensor(1.0)
                    state["exp_avg"] = self._zeros(p)
                    state["exp_avg_sq"] = self._zeros(p)
                state["step"]._data += 1
                step = float(state["step"]._data)
                pd = _real(p._data)
                if wd != 0 and decoupled:
                    pd *= 1 - lr * wd
                g = self._grad(p, group["maximize"], 0 if decoupled else wd)
                mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * psi))
                mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * psi))
                state["mu_product"]._data *= mu      # kept in the scalar dtype, as torch does
                mu_product = float(state["mu_product"]._data)
                m, v = _real(state["exp_avg"]._data), _real(state["exp_avg_sq"]._data)
                denom, tmp = self._buf(p, 1), self._buf(p, 2)
                _lerp_(xp, m, g, 1 - beta1, tmp)
                v *= beta2
                _addcmul_(xp, v, g, g, 1 - beta2, tmp)
                xp.divide(v, 1 - beta2 ** step, out=denom)
                xp.sqrt(denom, out=denom)
                denom += eps
                xp.divide(g, denom, out=tmp)
                tmp *= -lr * (1.0 - mu) / (1.0 - mu_product)
                pd += tmp
                xp.divide(m, denom, out=tmp)
                tmp *= -lr * mu_next / (1.0 - mu_product * mu_next)
                pd += tmp
                p._bump()
        return loss
