"""Optimizer: the base class every ember optimizer derives from (`torch.optim.Optimizer`).

Updates work on backend arrays in place (`p._data`, `p.grad._data`, state tensors' `_data`), with
the array module taken from the parameter's device, so the same code runs on NumPy and CuPy. A step
runs with the parameters' CUDA device current (one pass per device when they are on several).
"""
import copy
import functools
import warnings
from collections import OrderedDict, defaultdict
from itertools import chain

from .. import _dtypes
from .._device import CPU
from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad, no_grad
from ..utils.hooks import RemovableHandle

__all__ = ["Optimizer", "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook", "required"]


class _RequiredParameter:
    """Marks a default that every param group must give (e.g. a learning rate with no default)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()

_global_pre_hooks = OrderedDict()
_global_post_hooks = OrderedDict()


def register_optimizer_step_pre_hook(hook):
    """Run `hook(optimizer, args, kwargs)` before every optimizer's step."""
    handle = RemovableHandle(_global_pre_hooks)
    _global_pre_hooks[handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook):
    """Run `hook(optimizer, args, kwargs)` after every optimizer's step."""
    handle = RemovableHandle(_global_post_hooks)
    _global_post_hooks[handle.id] = hook
    return handle


def _with_hooks(step):
    """Wrap a subclass's `step`: step hooks around it, the update itself under no_grad."""

    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        for hook in chain(_global_pre_hooks.values(), self._optimizer_step_pre_hooks.values()):
            result = hook(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(f"{step} must return None or a tuple of (new_args, new_kwargs), but got {result}.")
                args, kwargs = result
        dev = _step_device(self.param_groups)
        with no_grad():
            if dev is CPU:
                out = step(self, *args, **kwargs)
            elif dev is not None:
                out = dev.call(step, self, *args, **kwargs)
            else:
                out = _step_per_device(self, step, args, kwargs)
        for hook in chain(self._optimizer_step_post_hooks.values(), _global_post_hooks.values()):
            hook(self, args, kwargs)
        return out

    wrapper._hooked = True
    return wrapper


def _step_device(groups):
    """The CUDA device holding the parameters (CPU when none is on one; None when they are on several):
    a step's array work runs with it current."""
    dev = CPU
    for group in groups:
        for p in group["params"]:
            d = p._device
            if d is not CPU and d is not dev:
                if dev is not CPU:
                    return None
                dev = d
    return dev


def _step_per_device(opt, step, args, kwargs):
    """A step over parameters on several CUDA devices: the closure once, then one update per device
    with that device current and each group narrowed to that device's parameters."""
    loss = opt._closure_loss(args[0] if args else kwargs.get("closure"))
    groups = opt.param_groups
    devices = dict.fromkeys(p._device for group in groups for p in group["params"])
    try:
        for dev in devices:
            opt.param_groups = [dict(group, params=[p for p in group["params"] if p._device is dev])
                                for group in groups]
            dev.call(step, opt)
    finally:
        opt.param_groups = groups
    return loss


def _scalar_dtype():
    return _dtypes.float64 if _dtypes.get_default_dtype() is _dtypes.float64 else _dtypes.float32


def _step_tensor(value=0.0):
    """A 0-d cpu tensor of the scalar dtype, as torch keeps `step` (and ASGD's eta/mu, NAdam's mu_product)."""
    from .._factory import tensor
    return tensor(value, dtype=_scalar_dtype())


def _to_scalar(x):
    return float(x) if isinstance(x, Tensor) else x


def _check_lr(lr):
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= _to_scalar(lr):
        raise ValueError(f"Invalid learning rate: {lr}")


def _check_betas(betas, eps=None):
    if eps is not None and not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    for i in (0, 1):
        if not 0.0 <= _to_scalar(betas[i]) < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {betas[i]}")


def _check_nonneg(name, value):
    if not 0.0 <= value:
        raise ValueError(f"Invalid {name} value: {value}")


def _real(a):
    """Complex arrays are updated as pairs of reals (torch's view_as_real)."""
    return a.view(a.real.dtype) if a.dtype.kind == "c" else a


def _lerp_(xp, a, b, w, tmp):
    """a += w * (b - a) in place, rounding as torch's lerp does (tmp is scratch)."""
    xp.subtract(b, a, out=tmp)
    if abs(w) < 0.5:
        tmp *= w
        a += tmp
    else:
        tmp *= 1.0 - w
        xp.subtract(b, tmp, out=a)


def _addcmul_(xp, a, b, c, value, tmp):
    """a += value * b * c in place."""
    xp.multiply(b, c, out=tmp)
    if value != 1:
        tmp *= value
    a += tmp


class Optimizer:
    """Base class: param groups with their options, per-parameter state, hooks, state_dict."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_hooked", False):
            cls.step = _with_hooks(step)

    def __init__(self, params, defaults):
        self.defaults = defaults
        self._optimizer_step_pre_hooks = OrderedDict()
        self._optimizer_step_post_hooks = OrderedDict()
        self._scratch = {}
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            "but got " + params.type())
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.__dict__.setdefault("_optimizer_step_pre_hooks", OrderedDict())
        self.__dict__.setdefault("_optimizer_step_post_hooks", OrderedDict())
        self._scratch = {}

    def __repr__(self):
        s = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            s += f"\nParameter Group {i}\n"
            for key in sorted(group):
                if key != "params":
                    s += f"    {key}: {group[key]}\n"
        return s + ")"

    # ---- param groups ----------------------------------------------------------------------
    def add_param_group(self, param_group):
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering of "
                            "tensors in sets will change between runs. Please use a list instead.")
        tensors, names = [], []
        for p in params:
            if isinstance(p, tuple):
                names.append(p[0])
                p = p[1]
            tensors.append(p)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            param_group["param_names"] = names
        for p in tensors:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + f"{type(p).__module__}.{type(p).__qualname__}".replace("builtins.", ""))
            if not self.defaults.get("differentiable", None) and not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)
        if len(tensors) != len(set(tensors)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will "
                          "cause an error; see github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        seen = set()
        for group in self.param_groups:
            seen.update(group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        if not seen.isdisjoint(tensors):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ---- gradients and steps ---------------------------------------------------------------
    def zero_grad(self, set_to_none=True):
        for group in self.param_groups:
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                if set_to_none:
                    p._grad = None
                else:
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g.requires_grad_(False)
                    g._zero_values()

    def step(self, closure=None):
        raise NotImplementedError

    @staticmethod
    def _closure_loss(closure):
        if closure is None:
            return None
        with enable_grad():
            return closure()

    def _with_grad(self, group):
        """The group's parameters that have a gradient (the others are skipped)."""
        return [p for p in group["params"] if p._grad is not None]

    def _buf(self, p, slot):
        """A reusable scratch array shaped like p (slot 0: the effective gradient; 1, 2: temporaries)."""
        a = p._data
        key = (slot, a.dtype, p._device)
        flat = self._scratch.get(key)
        if flat is None or flat.size < a.size:
            flat = self._scratch[key] = p._device.xp.empty(a.size, a.dtype)
        return _real(flat[:a.size].reshape(a.shape))

    def _grad(self, p, maximize=False, weight_decay=0):
        """The gradient as the update sees it: negated for maximize, plus weight_decay * p (L2)."""
        g = _real(p._grad._data)
        if not maximize and not weight_decay:
            return g
        out = self._buf(p, 0)
        if maximize:
            p._device.xp.negative(g, out=out)
        else:
            out[...] = g
        if weight_decay:        # one rounding, as torch's grad.add(param, alpha=weight_decay)
            p._device.backend.axpy(weight_decay, _real(p._data), out)
        return out

    @staticmethod
    def _zeros(p, fill=0):
        dev = p._device
        if dev is not CPU and dev.needs_switch():
            return dev.call(Optimizer._zeros, p, fill)
        a = dev.xp.zeros_like(p._data) if fill == 0 else dev.xp.full_like(p._data, fill)
        return Tensor._wrap(a, dev)

    # ---- hooks -----------------------------------------------------------------------------
    def register_step_pre_hook(self, hook):
        handle = RemovableHandle(self._optimizer_step_pre_hooks)
        self._optimizer_step_pre_hooks[handle.id] = hook
        return handle

    def register_step_post_hook(self, hook):
        handle = RemovableHandle(self._optimizer_step_post_hooks)
        self._optimizer_step_post_hooks[handle.id] = hook
        return handle

    # ---- state_dict ------------------------------------------------------------------------
    def state_dict(self):
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {(index[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        special = {}   # saved index -> group options that decide how `step` is kept
        for g in state_dict["param_groups"]:
            for i in g["params"]:
                special.setdefault(i, g.get("capturable", False) or g.get("fused", False))

        def cast(param, value, pid, key=None):
            if isinstance(value, Tensor):
                if key == "step":
                    return value.to(dtype=_dtypes.float32, device=param.device) if special.get(pid) else value
                if param.is_floating_point():
                    return value.to(dtype=param.dtype, device=param.device)
                return value.to(device=param.device)
            if isinstance(value, dict):
                return {k: cast(param, v, pid, k) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return type(value)(cast(param, v, pid) for v in value)
            return value

        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                state[id_map[k]] = cast(id_map[k], v, k)
            else:
                state[k] = v
        new_groups = []
        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
            new_groups.append(saved)
        self.__setstate__({"state": state, "param_groups": new_groups})
