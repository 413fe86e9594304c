"""One Adam step over 100 parameter tensors (10M float32 in all): ember vs torch (foreach=False).

Run: .venv/bin/python benchmarks/bench_optim.py
"""
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import ember
import ember.optim

N_TENSORS, TOTAL, REPEATS = 100, 10_000_000, 15


def _params(lib, arrays):
    ps = [lib.from_numpy(a.copy()).requires_grad_(True) for a in arrays]
    for p, a in zip(ps, arrays):
        p.grad = lib.from_numpy((a * 0.01 + 0.1).astype(np.float32))
    return ps


def _median_step(opt):
    opt.step()   # warm-up: state is created on the first step
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        opt.step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(TOTAL // N_TENSORS, dtype=np.float32) for _ in range(N_TENSORS)]
    import torch
    t = _median_step(torch.optim.Adam(_params(torch, arrays), lr=1e-3, foreach=False))
    e = _median_step(ember.optim.Adam(_params(ember, arrays), lr=1e-3))
    print(f"Adam step, {N_TENSORS} tensors / {TOTAL:,} float32 (torch threads: {torch.get_num_threads()})")
    print(f"  torch (foreach=False): {t * 1e3:8.2f} ms")
    print(f"  ember:                 {e * 1e3:8.2f} ms")
    print(f"  ratio ember/torch:     {e / t:8.2f}")


if __name__ == "__main__":
    main()
