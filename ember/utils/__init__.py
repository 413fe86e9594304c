"""ember.utils (data, tensorboard, hooks ...)."""
import importlib


def __getattr__(name):
    if name in ("data", "tensorboard", "checkpoint", "safetensors", "cpp_extension", "benchmark", "model_zoo"):
        try:
            mod = importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as e:
            if e.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module '{__name__}' has no attribute '{name}'") from None
        globals()[name] = mod
        return mod
    raise AttributeError(f"module 'ember.utils' has no attribute '{name}'")
