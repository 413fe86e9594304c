"""SGD with momentum, dampening, Nesterov momentum and weight decay (`torch.optim.SGD`)."""
from .._tensor import Tensor
from .optimizer import Optimizer, _check_lr, _real, _to_scalar

__all__ = ["SGD"]


class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *, maximize=False,
                 foreach=None, differentiable=False, fused=None):
        _check_lr(lr)
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov,
                        maximize=maximize, foreach=foreach, differentiable=differentiable, fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, momentum, dampening = _to_scalar(group["lr"]), group["momentum"], group["dampening"]
            for p in self._with_grad(group):
                xp = p._device.xp
                g = self._grad(p, group["maximize"], group["weight_decay"])
                tmp = None
                if momentum != 0:
                    tmp = self._buf(p, 1)
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = state["momentum_buffer"] = Tensor._wrap(xp.empty_like(p._data), p._device)
                        b = _real(buf._data)
                        b[...] = g
                    else:
                        b = _real(buf._data)
                        b *= momentum
                        if dampening == 0:
                            b += g
                        else:
                            xp.multiply(g, 1 - dampening, out=tmp)
                            b += tmp
                    if group["nesterov"]:
                        xp.multiply(b, momentum, out=tmp)
                        tmp += g
                        g = tmp
                    else:
                        g = b
                p._device.backend.axpy(-lr, g, _real(p._data), tmp)
                p._bump()
        return loss
