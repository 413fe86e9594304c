"""RMSprop, optionally centered and with momentum (`torch.optim.RMSprop`)."""
from .optimizer import Optimizer, _addcmul_, _check_lr, _check_nonneg, _lerp_, _real, _step_tensor, _to_scalar

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        _check_lr(lr)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        _check_nonneg("momentum", momentum)
        _check_nonneg("weight_decay", weight_decay)
        _check_nonneg("alpha", alpha)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach, maximize=maximize,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, alpha, eps, momentum = _to_scalar(group["lr"]), group["alpha"], group["eps"], group["momentum"]
            for p in self._with_grad(group):
                state = self.state[p]
                xp = p._device.xp
                if not state:
                    state["step"] = _step_tensor()
                    state["square_avg"] = self._zeros(p)
                    if momentum > 0:
                        state["momentum_buffer"] = self._zeros(p)
                    if group["centered"]:
                        state["grad_avg"] = self._zeros(p)
                state["step"]._data += 1
                g = self._grad(p, group["maximize"], group["weight_decay"])
                sq, avg = _real(state["square_avg"]._data), self._buf(p, 1)
                sq *= alpha
                _addcmul_(xp, sq, g, g, 1 - alpha, avg)
                if group["centered"]:
                    ga = _real(state["grad_avg"]._data)
                    _lerp_(xp, ga, g, 1 - alpha, avg)
                    xp.multiply(ga, ga, out=avg)
                    xp.subtract(sq, avg, out=avg)
                    xp.sqrt(avg, out=avg)
                else:
                    xp.sqrt(sq, out=avg)
                avg += eps
                pd = _real(p._data)
                if momentum > 0:
                    buf = _real(state["momentum_buffer"]._data)
                    buf *= momentum
                    xp.divide(g, avg, out=avg)
                    buf += avg
                    xp.multiply(buf, -lr, out=avg)
                else:
                    xp.divide(g, avg, out=avg)
                    avg *= -lr
                pd += avg
                p._bump()
        return loss
