"""Schedulers against torch: lr sequences over 100 steps, state_dict round trips, warnings, seeds."""
import contextlib
import io
import math
import random
import re
import warnings

import numpy as np
import pytest

import ember
import ember.optim as eoptim
from ember.optim import lr_scheduler as elrs
from tests.helpers import needs_torch, torch

pytestmark = needs_torch
tlrs = torch.optim.lr_scheduler if torch is not None else None


def _lam(epoch):
    return 0.95 ** epoch


def _mul(epoch):
    return 0.9 if epoch % 3 else 1.05


# (optimizer name, optimizer kwargs, factory(lr_scheduler module, optimizer) -> scheduler)
SPECS = {
    "LambdaLR": ("SGD", {}, lambda L, o: L.LambdaLR(o, _lam)),
    "LambdaLR-list": ("SGD", {}, lambda L, o: L.LambdaLR(o, [_lam, lambda e: 1 / (e + 1)])),
    "MultiplicativeLR": ("SGD", {}, lambda L, o: L.MultiplicativeLR(o, _mul)),
    "StepLR": ("SGD", {}, lambda L, o: L.StepLR(o, step_size=7, gamma=0.5)),
    "MultiStepLR": ("SGD", {}, lambda L, o: L.MultiStepLR(o, milestones=[5, 20, 20, 60], gamma=0.3)),
    "ConstantLR": ("SGD", {}, lambda L, o: L.ConstantLR(o, factor=0.25, total_iters=12)),
    "LinearLR": ("SGD", {}, lambda L, o: L.LinearLR(o, start_factor=0.1, end_factor=0.8, total_iters=30)),
    "ExponentialLR": ("SGD", {}, lambda L, o: L.ExponentialLR(o, gamma=0.97)),
    "PolynomialLR": ("SGD", {}, lambda L, o: L.PolynomialLR(o, total_iters=40, power=2.0)),
    "CosineAnnealingLR": ("SGD", {}, lambda L, o: L.CosineAnnealingLR(o, T_max=15, eta_min=0.001)),
    "CosineAnnealingWarmRestarts": ("SGD", {}, lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=5)),
    "CosineAnnealingWarmRestarts-mult": ("SGD", {}, lambda L, o: L.CosineAnnealingWarmRestarts(o, 3, T_mult=2,
                                                                                               eta_min=0.01)),
    "CyclicLR": ("SGD", {"momentum": 0.9}, lambda L, o: L.CyclicLR(o, 0.01, 0.1, step_size_up=7)),
    "CyclicLR-triangular2": ("SGD", {"momentum": 0.9},
                             lambda L, o: L.CyclicLR(o, [0.01, 0.02], 0.1, 5, 9, mode="triangular2")),
    "CyclicLR-exp_range-adam": ("Adam", {}, lambda L, o: L.CyclicLR(o, 0.001, 0.01, 6, mode="exp_range",
                                                                    gamma=0.98)),
    "CyclicLR-scale_fn": ("SGD", {}, lambda L, o: L.CyclicLR(o, 0.01, 0.1, 4, scale_fn=lambda x: 0.99 ** x,
                                                             scale_mode="iterations", cycle_momentum=False)),
    "OneCycleLR": ("SGD", {"momentum": 0.9}, lambda L, o: L.OneCycleLR(o, max_lr=0.5, total_steps=101)),
    "OneCycleLR-linear-3phase-adam": ("Adam", {}, lambda L, o: L.OneCycleLR(
        o, max_lr=[0.5, 0.2], epochs=10, steps_per_epoch=11, pct_start=0.25, anneal_strategy="linear",
        three_phase=True, div_factor=10.0, final_div_factor=100.0)),
    "SequentialLR": ("SGD", {}, lambda L, o: L.SequentialLR(
        o, [L.LinearLR(o, 0.1, total_iters=10), L.ExponentialLR(o, 0.9), L.StepLR(o, 5)], milestones=[10, 40])),
    "ChainedScheduler": ("SGD", {}, lambda L, o: L.ChainedScheduler(
        [L.ConstantLR(o, 0.5, total_iters=8), L.ExponentialLR(o, 0.95), L.MultiStepLR(o, [30, 70])])),
}


def _optimizer(lib, name, kw):
    mod = eoptim if lib is ember else torch.optim
    a = lib.zeros(2, requires_grad=True)
    b = lib.zeros(3, requires_grad=True)
    return getattr(mod, name)([{"params": [a]}, {"params": [b], "lr": 0.05}], lr=0.1, **kw)


def _momenta(opt):
    return [g["betas"][0] if "betas" in g else g.get("momentum") for g in opt.param_groups]


def _comparable(sd):
    return {k: v for k, v in sd.items() if not callable(v) and k not in ("_schedulers", "lr_lambdas")}


@pytest.mark.parametrize("key", list(SPECS))
def test_lr_sequence_and_state_dict(key):
    opt_name, kw, make = SPECS[key]
    topt = _optimizer(torch, opt_name, kw)
    tsched = make(tlrs, topt)
    expected = []
    for _ in range(100):
        topt.step()
        tsched.step()
        expected.append(([g["lr"] for g in topt.param_groups], list(tsched.get_last_lr()), _momenta(topt)))

    eopt = _optimizer(ember, opt_name, kw)
    esched = make(elrs, eopt)
    assert _comparable(esched.state_dict()).keys() == _comparable(make(tlrs, _optimizer(torch, opt_name, kw))
                                                                  .state_dict()).keys()
    for i in range(100):
        if i == 50:   # round trip: a fresh optimizer + scheduler, loaded from the saved state
            osd, ssd = eopt.state_dict(), esched.state_dict()
            eopt = _optimizer(ember, opt_name, kw)
            esched = make(elrs, eopt)
            eopt.load_state_dict(osd)
            esched.load_state_dict(ssd)
        eopt.step()
        esched.step()
        got = ([g["lr"] for g in eopt.param_groups], list(esched.get_last_lr()), _momenta(eopt))
        for g, x in zip(got, expected[i]):
            np.testing.assert_allclose(np.array(g, dtype=float), np.array(x, dtype=float), rtol=1e-12, atol=1e-15,
                                       err_msg=f"{key} step {i}")


@pytest.mark.parametrize("kw", [dict(), dict(mode="max", factor=0.5, patience=2, threshold=0.1, cooldown=3),
                                dict(threshold_mode="abs", threshold=0.5, patience=1, min_lr=[0.02, 0.01]),
                                dict(factor=0.5, patience=0, min_lr=0.0499, eps=1e-3)])
def test_reduce_lr_on_plateau(kw):
    rng = np.random.default_rng(5)
    metrics = list(np.round(10 * np.exp(-np.arange(60) / 30) + rng.normal(scale=0.5, size=60), 3))
    topt, eopt = _optimizer(torch, "SGD", {}), _optimizer(ember, "SGD", {})
    ts, es = tlrs.ReduceLROnPlateau(topt, **kw), elrs.ReduceLROnPlateau(eopt, **kw)
    for i, m in enumerate(metrics):
        ts.step(m)
        es.step(ember.tensor(m, dtype=ember.float64) if i % 2 else m)
        assert [g["lr"] for g in eopt.param_groups] == [g["lr"] for g in topt.param_groups]
        assert es.get_last_lr() == ts.get_last_lr()
        if i == 30:
            sd = es.state_dict()
            es = elrs.ReduceLROnPlateau(eopt, **kw)
            es.load_state_dict(sd)
    assert es.state_dict() == ts.state_dict()


def test_step_order_warning_matches_torch():
    def caught(lib, L):
        opt = _optimizer(lib, "SGD", {})
        sched = L.StepLR(opt, 3)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            sched.step()
            opt.step()
            sched.step()
        return [str(x.message) for x in w if issubclass(x.category, UserWarning)]

    expected = caught(torch, tlrs)
    assert len(expected) == 1 and caught(ember, elrs) == expected


def test_get_lr_outside_step_and_epoch_warnings():
    opt = _optimizer(ember, "SGD", {})
    sched = elrs.StepLR(opt, 3, gamma=0.5)
    opt.step()
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        sched.get_lr()
    with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step\\(\\)` was not necessary"):
        sched.step(7)
    assert sched.get_last_lr() == pytest.approx([0.1 * 0.25, 0.05 * 0.25])


def test_scheduler_errors_match_torch():
    def err(lib, L, fn):
        with pytest.raises(Exception) as info:
            fn(L, _optimizer(lib, "SGD", {}))
        return type(info.value), str(info.value)

    cases = [lambda L, o: L.StepLR(None, 3),
             lambda L, o: L.ReduceLROnPlateau(o, factor=1.5),
             lambda L, o: L.ReduceLROnPlateau(o, mode="avg"),
             lambda L, o: L.LambdaLR(o, [_lam]),
             lambda L, o: L.StepLR(o, 3, last_epoch=4),
             lambda L, o: L.OneCycleLR(o, 0.1),
             lambda L, o: L.CosineAnnealingWarmRestarts(o, 0),
             lambda L, o: L.CyclicLR(L.ExponentialLR(o, 0.5).optimizer, 0.1, 1.0, mode="bad")]
    for fn in cases:
        assert err(ember, elrs, fn) == err(torch, tlrs, fn)


def _seed_lambda_example(lib, optim_mod, L):
    """The seed's LambdaLR example, printing lr each epoch."""
    param = lib.zeros(3, 5, requires_grad=True)
    optimizer = optim_mod.Adam([param], lr=1.0)
    scheduler = L.LambdaLR(optimizer=optimizer, lr_lambda=lambda epoch: 0.95 ** epoch)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in range(1, 100 + 1):
            for param_group in optimizer.param_groups:
                lr = param_group['lr']
            print('epoch: {:3d}, lr={:.6f}'.format(epoch, lr))
            scheduler.step()
    return out.getvalue()


def test_seed_lambda_example_prints_like_torch():
    got = _seed_lambda_example(ember, eoptim, elrs)
    assert got == _seed_lambda_example(torch, torch.optim, tlrs)
    assert got.splitlines()[:5] == ["epoch:   1, lr=1.000000", "epoch:   2, lr=0.950000", "epoch:   3, lr=0.902500",
                                    "epoch:   4, lr=0.857375", "epoch:   5, lr=0.814506"]


def _seed_six_schedulers(optim, params, module_name, plt=None):
    """The seed's scheduler comparison (one optimizer shared by six schedulers); returns the lr lists."""
    optimizer = optim.Adam(params, lr=1.0)
    scheduler_list = [
        optim.lr_scheduler.ReduceLROnPlateau(optimizer=optimizer, mode='min', factor=0.5, patience=3),
        optim.lr_scheduler.LambdaLR(optimizer=optimizer, lr_lambda=lambda epoch: 1 / (epoch + 1)),
        optim.lr_scheduler.StepLR(optimizer=optimizer, step_size=5, gamma=0.5),
        optim.lr_scheduler.MultiStepLR(optimizer=optimizer, milestones=[2, 5, 10, 11, 28], gamma=0.5),
        optim.lr_scheduler.ExponentialLR(optimizer=optimizer, gamma=0.5),
        optim.lr_scheduler.CosineAnnealingLR(optimizer=optimizer, T_max=10, eta_min=0),
    ]
    reObj = re.compile(r'<' + module_name + r'\.optim\.lr_scheduler\.(.+) object.*>')
    random.seed(0)
    lists = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i, scheduler in enumerate(scheduler_list):
            scheduler_name = reObj.match(str(scheduler)).group(1)
            lr_list = []
            for epoch in range(1, 30 + 1):
                if str(scheduler_name) == 'ReduceLROnPlateau':
                    scheduler.step(random.randint(1, 50))
                else:
                    scheduler.step()
                lr_list.append(optimizer.param_groups[0]['lr'])
            lists.append((scheduler_name, lr_list))
            if plt is not None:
                plt.subplot(3, 2, i + 1)
                plt.title(scheduler_name)
                plt.ylim(0, 1.1)
                plt.plot(lr_list)
    return lists


def test_seed_six_scheduler_plot(tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    got = _seed_six_schedulers(eoptim, [ember.zeros(3, 5, requires_grad=True), ember.zeros(3, requires_grad=True)],
                               "ember", plt)
    plt.savefig(tmp_path / "scheduler.png")
    plt.close("all")
    assert (tmp_path / "scheduler.png").stat().st_size > 0
    expected = _seed_six_schedulers(torch.optim, [torch.zeros(3, 5, requires_grad=True),
                                                  torch.zeros(3, requires_grad=True)], "torch")
    assert [n for n, _ in got] == [n for n, _ in expected]
    for (_, a), (_, b) in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_tensor_lr_is_updated_in_place():
    lr = ember.tensor(0.1)
    opt = eoptim.SGD([ember.zeros(2, requires_grad=True)], lr=lr)
    sched = elrs.ExponentialLR(opt, 0.5)
    opt.step()
    sched.step()
    assert opt.param_groups[0]["lr"] is lr and math.isclose(lr.item(), 0.05, rel_tol=1e-6)
