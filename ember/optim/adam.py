"""Adam, with AMSGrad and optional decoupled (AdamW-style) weight decay (`torch.optim.Adam`)."""
from .optimizer import Optimizer, _addcmul_, _check_betas, _check_lr, _check_nonneg, _lerp_, _real, _step_tensor, \
    _to_scalar

__all__ = ["Adam"]


class Adam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        _check_lr(lr)
        _check_betas(betas, eps)
        _check_nonneg("weight_decay", weight_decay)
        betas = tuple(_to_scalar(b) for b in betas)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, eps, wd = _to_scalar(group["lr"]), group["eps"], group["weight_decay"]
            beta1, beta2 = group["betas"]
            decoupled = group["decoupled_weight_decay"]
            for p in self._with_grad(group):
                state = self.state[p]
                xp = p._device.xp
                if not state:
                    state["step"] = _step_tensor()
                    state["exp_avg"] = self._zeros(p)
                    state["exp_avg_sq"] = self._zeros(p)
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = self._zeros(p)
                state["step"]._data += 1
                step = float(state["step"]._data)
                pd = _real(p._data)
                if wd != 0 and decoupled:
                    pd *= 1 - lr * wd
                g = self._grad(p, group["maximize"], 0 if decoupled else wd)
                m, v = _real(state["exp_avg"]._data), _real(state["exp_avg_sq"]._data)
                tmp = self._buf(p, 1)
                _lerp_(xp, m, g, 1 - beta1, tmp)
                v *= beta2
                _addcmul_(xp, v, g, g, 1 - beta2, tmp)
                if group["amsgrad"]:
                    v = _real(state["max_exp_avg_sq"]._data)
                    xp.maximum(v, _real(state["exp_avg_sq"]._data), out=v)
                step_size = lr / (1 - beta1 ** step)
                xp.sqrt(v, out=tmp)
                tmp /= (1 - beta2 ** step) ** 0.5
                tmp += eps
                xp.divide(m, tmp, out=tmp)
                tmp *= -step_size
                pd += tmp
                p._bump()
        return loss
