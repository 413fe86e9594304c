"""Adagrad (`torch.optim.Adagrad`); like torch, state is created for every parameter up front."""
from .optimizer import Optimizer, _addcmul_, _check_lr, _check_nonneg, _real, _step_tensor, _to_scalar

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        _check_lr(lr)
        _check_nonneg("lr_decay", lr_decay)
        _check_nonneg("weight_decay", weight_decay)
        _check_nonneg("initial_accumulator_value", initial_accumulator_value)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            init = group["initial_accumulator_value"]
            for p in group["params"]:
                state = self.state[p]
                state["step"] = _step_tensor()
                state["sum"] = self._zeros(p, complex(init, init) if p.is_complex() else init)

    def share_memory(self):
        pass   # NumPy arrays need no sharing step

    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, lr_decay, eps = _to_scalar(group["lr"]), group["lr_decay"], group["eps"]
            for p in self._with_grad(group):
                state = self.state[p]
                xp = p._device.xp
                state["step"]._data += 1
                step = float(state["step"]._data)
                g = self._grad(p, group["maximize"], group["weight_decay"])
                s, tmp = _real(state["sum"]._data), self._buf(p, 1)
                _addcmul_(xp, s, g, g, 1, tmp)
                xp.sqrt(s, out=tmp)
                tmp += eps
                xp.divide(g, tmp, out=tmp)
                tmp *= -lr / (1 + (step - 1) * lr_decay)
                pd = _real(p._data)
                pd += tmp
                p._bump()
        return loss
