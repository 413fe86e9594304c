"""ASGD: averaged stochastic gradient descent (`torch.optim.ASGD`)."""
from .optimizer import Optimizer, _check_lr, _check_nonneg, _real, _step_tensor, _to_scalar

__all__ = ["ASGD"]


class ASGD(Optimizer):
    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
                 maximize=False, differentiable=False, capturable=False):
        _check_lr(lr)
        _check_nonneg("weight_decay", weight_decay)
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, lambd, alpha, t0 = _to_scalar(group["lr"]), group["lambd"], group["alpha"], group["t0"]
            for p in self._with_grad(group):
                state = self.state[p]
                xp = p._device.xp
                if not state:
                    state["step"] = _step_tensor()
                    state["eta"] = _step_tensor(lr)
                    state["mu"] = _step_tensor(1.0)
                    state["ax"] = self._zeros(p)
                state["step"]._data += 1
                step = float(state["step"]._data)
                g = self._grad(p, group["maximize"], group["weight_decay"])
                eta, mu = float(state["eta"]._data), float(state["mu"]._data)
                pd, ax, tmp = _real(p._data), _real(state["ax"]._data), self._buf(p, 1)
                pd *= 1 - lambd * eta
                xp.multiply(g, -eta, out=tmp)
                pd += tmp
                if mu != 1:
                    xp.subtract(pd, ax, out=tmp)
                    tmp *= mu
                    ax += tmp
                else:
                    ax[...] = pd
                # torch rounds the new values through a default-dtype scalar whatever the state's dtype
                state["eta"]._data[...] = _step_tensor(lr / ((1 + lambd * lr * step) ** alpha))._data
                state["mu"]._data[...] = _step_tensor(1 / max(1, step - t0))._data
                p._bump()
        return loss
