"""Checkpoint files: PyTorch's format (ember.save), tensors/containers/primitives only.

A training checkpoint is a dict with keys: arch, epoch, state_dict, optimizer, lr_scheduler,
monitor_best, not_improved_count, config (plain dict), history (list of per-epoch dicts),
input_spec, rng ({"ember": uint8 tensor, "python": [...], "numpy": [...]}), and when the run was
stopped by Ctrl-C, interrupted_epoch. `torch.load(path, weights_only=True)` reads it.
"""
import os
import random

import numpy as np

from .. import get_rng_state, set_rng_state
from ..serialization import load, save

__all__ = ["CheckpointError", "save_checkpoint", "load_checkpoint", "rng_state", "set_rng_states",
           "check_state_dict"]


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be read or does not fit the model."""


def rng_state():
    """Every random stream a training run draws from, as tensors/lists."""
    version, internal, gauss = random.getstate()
    name, keys, pos, has_gauss, cached = np.random.get_state()
    return {"ember": get_rng_state(), "python": [version, list(internal), gauss],
            "numpy": [name, [int(k) for k in keys], int(pos), int(has_gauss), float(cached)]}


def set_rng_states(state):
    set_rng_state(state["ember"])
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    name, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((name, np.array(keys, dtype=np.uint32), pos, has_gauss, cached))


def save_checkpoint(state, path):
    """Write atomically (temp file + rename): an existing file is never left half-written."""
    try:
        save(state, path)
    except OSError as e:
        raise CheckpointError(f"cannot write checkpoint '{path}': {e.strerror or e}") from None
    return path


def load_checkpoint(path):
    """Read a training checkpoint (CheckpointError with one clear line when that is impossible)."""
    if not os.path.isfile(path):
        raise CheckpointError(f"checkpoint not found: '{path}'")
    try:
        ckpt = load(path, map_location="cpu", weights_only=True)
    except Exception as e:   # corrupt, truncated, or not a checkpoint at all
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise CheckpointError(f"cannot read checkpoint '{path}': {msg}") from None
    if not isinstance(ckpt, dict) or "state_dict" not in ckpt:
        raise CheckpointError(f"'{path}' is not an ember training checkpoint (no 'state_dict' entry)")
    return ckpt


def check_state_dict(model, state_dict, path=""):
    """CheckpointError naming missing/unexpected keys and shape mismatches when state_dict doesn't fit model."""
    own = model.state_dict()
    missing = [k for k in own if k not in state_dict]
    unexpected = [k for k in state_dict if k not in own]
    shapes = [f"{k} {list(state_dict[k].shape)} vs {list(v.shape)}" for k, v in own.items()
              if k in state_dict and hasattr(state_dict[k], "shape") and tuple(state_dict[k].shape) != tuple(v.shape)]
    if missing or unexpected or shapes:
        parts = []
        for label, keys in (("missing keys", missing), ("unexpected keys", unexpected), ("shape mismatches", shapes)):
            if keys:
                more = f" (+{len(keys) - 5} more)" if len(keys) > 5 else ""
                parts.append(f"{label}: {', '.join(keys[:5])}{more}")
        where = f" '{path}'" if path else ""
        raise CheckpointError(f"checkpoint{where} does not match the model {type(model).__name__}: "
                              + "; ".join(parts))
