"""Core benchmarks: ember vs torch in the same process; prints ember/torch time ratios.

    python benchmarks/run.py            (or: make bench)
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

from common import bench, bench_pair, report  # noqa: E402


def import_time(mod):
    code = f"import time; t=time.perf_counter(); import {mod}; print(time.perf_counter()-t)"
    runs = [float(subprocess.check_output([sys.executable, "-c", code]).decode()) for _ in range(3)]
    return min(runs)


def main():
    import ember
    import torch
    rows = []

    xe = ember.randn(10, requires_grad=True)
    xt = torch.randn(10, requires_grad=True)

    def tiny_e():
        (xe * 2 + 1).relu().sum().backward()

    def tiny_t():
        (xt * 2 + 1).relu().sum().backward()
    e, t, ratio = bench_pair(tiny_e, tiny_t, repeat=40, min_time=1.0)
    rows.append(("tiny graph (x*2+1).relu().sum().backward()", e, t, 0.5, ratio))

    a = np.random.default_rng(0).standard_normal((1024, 1024), dtype=np.float32)
    b = np.random.default_rng(1).standard_normal((1024, 1024), dtype=np.float32)
    ae, be = ember.from_numpy(a), ember.from_numpy(b)
    at, bt = torch.from_numpy(a), torch.from_numpy(b)
    rows.append(("matmul 1024x1024 float32", bench(lambda: ae @ be, repeat=15), bench(lambda: at @ bt, repeat=15), 1.1))

    big = np.random.default_rng(2).standard_normal(8 * 1024 * 1024, dtype=np.float32)
    bige, bigt = ember.from_numpy(big), torch.from_numpy(big)
    rows.append(("exp over 8M float32", bench(lambda: ember.exp(bige), repeat=15), bench(lambda: torch.exp(bigt), repeat=15), 2.0))

    try:
        import ember.nn as enn
        import ember.nn.functional as EF
        rows.append(mlp_step(ember, enn, EF, torch))
    except (ImportError, AttributeError) as e:
        print(f"(MLP benchmark skipped: {e})")

    report(rows, "ember vs torch (CPU, same process, median; tiny graph: median of alternating samples' ratios)")
    ie, it = import_time("ember"), import_time("torch")
    print(f"\nimport ember: {ie:.3f} s   import torch: {it:.3f} s   (goal: ember <= 0.4 s)")


def mlp_step(ember, enn, EF, torch):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 784), dtype=np.float32)
    y = rng.integers(0, 10, 64)
    me = enn.Sequential(enn.Linear(784, 512), enn.ReLU(), enn.Linear(512, 512), enn.ReLU(), enn.Linear(512, 10))
    mt = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 512), torch.nn.ReLU(),
                             torch.nn.Linear(512, 10))
    xe, ye = ember.from_numpy(x), ember.from_numpy(y)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    import ember.optim as eoptim
    oe = eoptim.SGD(me.parameters(), lr=0.01)
    ot = torch.optim.SGD(mt.parameters(), lr=0.01)

    def step_e():
        oe.zero_grad()
        EF.cross_entropy(me(xe), ye).backward()
        oe.step()

    def step_t():
        ot.zero_grad()
        torch.nn.functional.cross_entropy(mt(xt), yt).backward()
        ot.step()
    # timed one after the other, not alternating: torch's OpenMP threads spin for a while after each
    # parallel region and would slow OpenBLAS's threads (and the reverse) if the two took turns
    return ("MLP 784-512-512-10 train step, batch 64, SGD", bench(step_e, repeat=15), bench(step_t, repeat=15), 1.0)


if __name__ == "__main__":
    main()
