"""Edge-case numerics as PyTorch has them: integer division by zero raises, floating-point
inf/nan results come back without NumPy's RuntimeWarnings, var/std with no degrees of freedom warn."""
import subprocess
import sys
import warnings

import pytest

import ember
from tests.helpers import needs_torch, torch

INT_ZERO_DIVISION = [
    ("floor_divide", lambda m, a, z: a // z),
    ("remainder", lambda m, a, z: a % z),
    ("fmod", lambda m, a, z: m.fmod(a, z)),
    ("div trunc", lambda m, a, z: m.div(a, z, rounding_mode="trunc")),
    ("div floor", lambda m, a, z: m.div(a, z, rounding_mode="floor")),
    ("scalar floor_divide", lambda m, a, z: a // 0),
    ("scalar remainder", lambda m, a, z: a % 0),
    ("in-place fmod_", lambda m, a, z: a.clone().fmod_(0)),
    ("in-place floor_divide_", lambda m, a, z: a.clone().floor_divide_(z)),
    ("uint8", lambda m, a, z: a.to(m.uint8) // z.to(m.uint8)),
]


@needs_torch
@pytest.mark.parametrize("name,fn", INT_ZERO_DIVISION, ids=[c[0] for c in INT_ZERO_DIVISION])
def test_integer_division_by_zero_raises_like_torch(name, fn):
    outcomes = []
    for m in (torch, ember):
        a, z = m.tensor([7, -7, 0]), m.tensor([2, 0, 3])
        with pytest.raises(RuntimeError) as info:
            fn(m, a, z)
        outcomes.append(str(info.value))
    assert outcomes[0] == outcomes[1] == "ZeroDivisionError"


@needs_torch
def test_integer_division_by_nonzero_is_unchanged():
    for fn in (lambda m, a, z: a // z, lambda m, a, z: a % z, lambda m, a, z: m.fmod(a, z),
               lambda m, a, z: m.div(a, z, rounding_mode="trunc")):
        t = fn(torch, torch.tensor([7, -7, 0]), torch.tensor([2, -3, 3]))
        e = fn(ember, ember.tensor([7, -7, 0]), ember.tensor([2, -3, 3]))
        assert e.tolist() == t.tolist()


FLOAT_EDGES = [
    ("x / 0", lambda m: m.tensor([1.0, -1.0, 0.0]) / 0),
    ("x // 0", lambda m: m.tensor([1.0, -1.0, 0.0]) // 0),
    ("x % 0", lambda m: m.tensor([1.0, -1.0]) % 0),
    ("fmod(x, 0)", lambda m: m.fmod(m.tensor([1.0]), 0.0)),
    ("log(0)", lambda m: m.log(m.tensor([0.0, -1.0]))),
    ("exp overflow", lambda m: m.tensor([1000.0]).exp()),
    ("sqrt(-1)", lambda m: m.tensor([-1.0]).sqrt()),
    ("mean of empty", lambda m: m.tensor([]).mean()),
    ("mean over an empty dim", lambda m: m.zeros(0, 3).mean(0)),
]


@needs_torch
@pytest.mark.parametrize("name,fn", FLOAT_EDGES, ids=[c[0] for c in FLOAT_EDGES])
def test_float_edge_values_match_torch(name, fn):
    t, e = fn(torch), fn(ember)
    assert e.shape == tuple(t.shape)
    assert e.tolist() == pytest.approx(t.tolist(), nan_ok=True)


def test_no_numpy_runtime_warnings_reach_the_user():
    """With every RuntimeWarning an error, ember's inf/nan results still come back (ember's own
    filter applies to NumPy calls from ember's modules) while the user's NumPy code still warns."""
    edges = ("m.log(m.tensor([0.])), m.tensor([1., 0.]) / 0, m.tensor([1000.]).exp(), m.tensor([]).mean(), "
             "m.tensor([-1.]).sqrt()")
    code = "\n".join([
        "import numpy as np, ember as m",
        f"print({edges})",
        "try:",
        "    np.log(np.zeros(1))",
        "except RuntimeWarning as e:",
        "    print('user warning kept:', e)",
    ])
    out = subprocess.run([sys.executable, "-W", "error::RuntimeWarning", "-c", code],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    if torch is not None:       # the same values and reprs as torch's
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = " ".join(map(str, eval(edges, {"m": torch})))
        assert out.stdout.splitlines()[0] == expected
    assert "user warning kept: divide by zero encountered in log" in out.stdout


@needs_torch
@pytest.mark.parametrize("name", ["var", "std"])
def test_no_degrees_of_freedom_warns_like_torch(name):
    msgs, vals = [], []
    for m in (torch, ember):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            vals.append(getattr(m.tensor([1.0]), name)().item())
        user = [w for w in caught if issubclass(w.category, UserWarning)]
        assert len(user) == 1 and user[0].filename == __file__
        msgs.append(str(user[0].message).split(" (Triggered internally")[0])
    assert msgs[0] == msgs[1]
    assert vals[1] != vals[1] and vals[0] != vals[0]     # both nan
