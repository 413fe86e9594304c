import json
import random
import warnings

import numpy as np

import ember


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def write_json(content, path):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(content, f, indent=2)


def seed_everything(seed):
    ember.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed)


def prepare_device(n_gpu):
    """The device to train on: a GPU when n_gpu > 0 and CUDA is available, else the CPU."""
    if n_gpu > 0 and not ember.cuda.is_available():
        warnings.warn(f"n_gpu={n_gpu} but CUDA is not available: training on the CPU")
        n_gpu = 0
    return ember.device("cuda" if n_gpu > 0 else "cpu")
