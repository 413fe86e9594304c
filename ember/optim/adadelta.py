"""Adadelta (`torch.optim.Adadelta`)."""
from .optimizer import Optimizer, _addcmul_, _check_lr, _check_nonneg, _real, _step_tensor, _to_scalar

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        _check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        _check_nonneg("weight_decay", weight_decay)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize, capturable=capturable,
                        foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, rho, eps = _to_scalar(group["lr"]), group["rho"], group["eps"]
            for p in self._with_grad(group):
                state = self.state[p]
                xp = p._device.xp
                if not state:
                    state["step"] = _step_tensor()
                    state["square_avg"] = self._zeros(p)
                    state["acc_delta"] = self._zeros(p)
                state["step"]._data += 1
                g = self._grad(p, group["maximize"], group["weight_decay"])
                sq, acc = _real(state["square_avg"]._data), _real(state["acc_delta"]._data)
                std, delta = self._buf(p, 1), self._buf(p, 2)
                sq *= rho
                _addcmul_(xp, sq, g, g, 1 - rho, delta)
                xp.add(sq, eps, out=std)
                xp.sqrt(std, out=std)
                xp.add(acc, eps, out=delta)
                xp.sqrt(delta, out=delta)
                delta /= std
                delta *= g
                acc *= rho
                _addcmul_(xp, acc, delta, delta, 1 - rho, std)
                delta *= -lr
                pd = _real(p._data)
                pd += delta
                p._bump()
        return loss
