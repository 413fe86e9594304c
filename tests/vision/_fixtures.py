"""What the vision parity tests share: their torchvision-made fixtures and the name-seeded weights.

Each fixture generator under fixtures/ runs once with torchvision and stores small outputs; the tests
rebuild the same weights with `fixture_value` (make_model_fixtures.py, NumPy only) and compare."""
import importlib.util
import json
import os

import numpy as np

import ember

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


def generator(script):
    """The fixture generator module fixtures/<script>.py (imported without torchvision)."""
    spec = importlib.util.spec_from_file_location(f"_{script}", os.path.join(FIXTURES, f"{script}.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def stored(stem):
    """The generator's stored outputs: (fixtures/<stem>.json, fixtures/<stem>.npz)."""
    with open(os.path.join(FIXTURES, f"{stem}.json")) as f:
        meta = json.load(f)
    return meta, np.load(os.path.join(FIXTURES, f"{stem}.npz"))


_values = generator("make_model_fixtures").fixture_value


def T(a):
    return ember.from_numpy(np.array(a))


def fixture_state_dict(model):
    return {k: ember.from_numpy(_values(k, tuple(v.shape))) for k, v in model.state_dict().items()}


def load_fixture_weights(model):
    model.load_state_dict(fixture_state_dict(model))
    return model


def assert_close(actual, expected, rtol=1e-4, atol_scale=None):
    """Same shape, and values within rtol of torchvision's, absolute slack rtol * (atol_scale or the largest |value|)."""
    actual = actual.detach().numpy() if isinstance(actual, ember.Tensor) else np.asarray(actual)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    scale = float(np.abs(expected).max()) if expected.size else 1.0
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * (atol_scale or scale or 1.0))
