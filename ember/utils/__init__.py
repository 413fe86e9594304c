"""ember.utils (data, tensorboard, hooks ...)."""
import importlib


def __getattr__(name):
    if name in ("data", "tensorboard", "checkpoint", "safetensors", "cpp_extension", "benchmark", "model_zoo"):
        mod = importlib.import_module(f".{name}", __name__)
        globals()[name] = mod
        return mod
    raise AttributeError(f"module 'ember.utils' has no attribute '{name}'")
