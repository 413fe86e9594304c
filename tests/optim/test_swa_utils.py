"""swa_utils against torch: SWALR schedules, averaging functions, AveragedModel (needs ember.nn)."""
import numpy as np
import pytest

import ember
import ember.optim as eoptim
from tests.helpers import needs_torch, torch

pytestmark = needs_torch

try:
    from ember.optim import swa_utils as eswa
except ImportError:   # ember.nn not importable yet
    eswa = None
needs_nn = pytest.mark.skipif(eswa is None, reason="ember.nn is not importable")


def _sgd(lib):
    mod = eoptim if lib is ember else torch.optim
    return mod.SGD([{"params": [lib.zeros(2, requires_grad=True)]},
                    {"params": [lib.zeros(2, requires_grad=True)], "lr": 0.2}], lr=0.5)


@needs_nn
@pytest.mark.parametrize("kw", [dict(swa_lr=0.05), dict(swa_lr=[0.01, 0.1], anneal_epochs=4, anneal_strategy="linear"),
                                dict(swa_lr=0.05, anneal_epochs=0)])
def test_swalr_matches_torch(kw):
    from torch.optim.swa_utils import SWALR
    topt, eopt = _sgd(torch), _sgd(ember)
    ts, es = SWALR(topt, **kw), eswa.SWALR(eopt, **kw)
    for i in range(15):
        topt.step(), eopt.step()
        ts.step(), es.step()
        np.testing.assert_allclose(es.get_last_lr(), ts.get_last_lr(), rtol=1e-12)
        if i == 7:
            sd = es.state_dict()
            es = eswa.SWALR(eopt, **kw)
            es.load_state_dict(sd)


@needs_nn
def test_average_functions_match_torch():
    from torch.optim import swa_utils as tswa
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=5), rng.normal(size=5)
    for name, args in [("get_ema_avg_fn", (0.9,)), ("get_swa_avg_fn", ())]:
        e = getattr(eswa, name)(*args)(ember.tensor(a), ember.tensor(b), 3)
        t = getattr(tswa, name)(*args)(torch.tensor(a), torch.tensor(b), 3)
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-12)
    for name, args in [("get_ema_multi_avg_fn", (0.9,)), ("get_swa_multi_avg_fn", ())]:
        es, ts = [ember.tensor(a)], [torch.tensor(a)]
        getattr(eswa, name)(*args)(es, [ember.tensor(b)], ember.tensor(3))
        getattr(tswa, name)(*args)(ts, [torch.tensor(b)], torch.tensor(3))
        np.testing.assert_allclose(es[0].numpy(), ts[0].numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match=r"Invalid decay value 1.5 provided"):
        eswa.get_ema_avg_fn(1.5)


@needs_nn
def test_averaged_model_running_average():
    from ember import nn
    model = nn.Module()
    model.w = nn.Parameter(ember.zeros(3, dtype=ember.float64))
    swa = eswa.AveragedModel(model)
    ema = eswa.AveragedModel(model, multi_avg_fn=eswa.get_ema_multi_avg_fn(0.5))
    for k in range(1, 5):
        model.w.data = ember.full((3,), float(k), dtype=ember.float64)
        swa.update_parameters(model)
        ema.update_parameters(model)
    np.testing.assert_allclose(swa.module.w.detach().numpy(), [2.5] * 3)     # mean of 1..4
    np.testing.assert_allclose(ema.module.w.detach().numpy(), [3.125] * 3)   # 1 -> 1.5 -> 2.25 -> 3.125
    assert swa.n_averaged.item() == 4
