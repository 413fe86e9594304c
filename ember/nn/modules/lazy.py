"""LazyModuleMixin: modules whose parameter shapes are inferred on the first call."""
from ...autograd.grad_mode import no_grad
from ..parameter import UninitializedBuffer, is_lazy
from .module import Module

__all__ = ["LazyModuleMixin"]


class LazyModuleMixin:
    cls_to_become = None

    def has_uninitialized_params(self):
        return any(is_lazy(t) for t in list(self._parameters.values()) + list(self._buffers.values()))

    def initialize_parameters(self, *args, **kwargs):
        raise NotImplementedError(f"initialize_parameters is not implemented for {self.__class__.__name__}")

    def __call__(self, *args, **kwargs):
        # the first call infers the shapes (it also runs when load_state_dict already materialized everything, so that
        # attributes like in_features can be filled in) and then turns the module into cls_to_become
        if self.cls_to_become is not None or self.has_uninitialized_params():
            with no_grad():
                self.initialize_parameters(*args, **kwargs)
            if self.has_uninitialized_params():
                raise RuntimeError(f"module {self._get_name()} has not been fully initialized")
            if self.cls_to_become is not None:
                self.__class__ = self.cls_to_become
        return Module.__call__(self, *args, **kwargs)

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        super()._save_to_state_dict(destination, prefix, keep_vars)
        # uninitialized entries go in as themselves (detaching would turn them into empty tensors)
        for name, t in list(self._parameters.items()) + list(self._buffers.items()):
            if is_lazy(t) and prefix + name in destination:
                destination[prefix + name] = t

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        # an uninitialized entry loaded into an uninitialized tensor leaves it as it is; an initialized entry
        # materializes it with the entry's shape (done by Module._load_from_state_dict)
        both_lazy = [prefix + name for name, t in list(self._parameters.items()) + list(self._buffers.items())
                     if is_lazy(t) and is_lazy(state_dict.get(prefix + name))]
        if both_lazy:
            state_dict = {k: v for k, v in state_dict.items() if k not in both_lazy}
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)
        for key in both_lazy:
            if key in missing_keys:
                missing_keys.remove(key)

    def _apply(self, fn, recurse=True):
        lazy_buffers = [name for name, b in self._buffers.items() if is_lazy(b)]
        super()._apply(fn, recurse)
        for p in self._parameters.values():
            if is_lazy(p):
                p._dtype = p.dtype   # materialize() creates this dtype: follow .to()/.double()/...
        for name in lazy_buffers:
            b = self._buffers[name]
            if not is_lazy(b):       # a conversion returned a plain (empty) tensor: keep the buffer uninitialized
                self._buffers[name] = UninitializedBuffer(b.requires_grad, b.device, b.dtype)
        return self
