"""Conv and pooling: ember vs torch in one process (median of repeats, torch threads left default).

ember and torch samples alternate, so a shared machine's load falls on both alike.

Run: .venv/bin/python benchmarks/bench_conv.py
"""
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch  # noqa: E402
import torch.nn.functional as TF  # noqa: E402

import ember  # noqa: E402
from ember._ops import conv as EC, pooling as EP  # noqa: E402
from benchmarks.common import report  # noqa: E402


def paired(fe, ft, repeat=7):
    """Median seconds of fe and of ft, timed alternately after one warm-up call each."""
    fe()
    ft()
    te, tt = [], []
    for _ in range(repeat):
        for fn, acc in ((fe, te), (ft, tt)):
            t0 = time.perf_counter()
            fn()
            acc.append(time.perf_counter() - t0)
    return statistics.median(te), statistics.median(tt)


def _pair(shape, requires_grad=False, seed=0):
    a = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    return (ember.from_numpy(a.copy()).requires_grad_(requires_grad),
            torch.from_numpy(a.copy()).requires_grad_(requires_grad))


def _fwd_bwd(f, x, w):
    def step():
        x.grad = None
        w.grad = None
        f(x, w).sum().backward()
    return step


def main():
    rows = []
    xe, xt = _pair((8, 64, 56, 56), requires_grad=True)
    we, wt = _pair((64, 64, 3, 3), requires_grad=True, seed=1)
    conv_e = lambda x, w: EC.conv2d(x, w, padding=1)  # noqa: E731
    conv_t = lambda x, w: TF.conv2d(x, w, padding=1)  # noqa: E731
    with ember.no_grad(), torch.no_grad():
        rows.append(("conv2d 64->64 3x3 pad1, 8x64x56x56 fwd", *paired(lambda: conv_e(xe, we), lambda: conv_t(xt, wt)),
                     1.5))
    rows.append(("conv2d 64->64 3x3 pad1, 8x64x56x56 fwd+bwd",
                 *paired(_fwd_bwd(conv_e, xe, we), _fwd_bwd(conv_t, xt, wt)), 1.8))
    le, lt = _pair((64, 1, 28, 28), requires_grad=True, seed=3)
    lwe, lwt = _pair((6, 1, 5, 5), requires_grad=True, seed=4)
    rows.append(("LeNet conv1 1->6 5x5, 64x1x28x28 fwd+bwd",
                 *paired(_fwd_bwd(EC.conv2d, le, lwe), _fwd_bwd(TF.conv2d, lt, lwt), repeat=21), None))
    pe, pt = _pair((32, 64, 56, 56), requires_grad=True, seed=2)

    def pool_step(pool, x):
        def step():
            x.grad = None
            pool(x, 2).sum().backward()
        return step
    rows.append(("max_pool2d(2) 32x64x56x56 fwd+bwd", *paired(pool_step(EP.max_pool2d, pe), pool_step(TF.max_pool2d, pt)),
                 None))
    report(rows, f"conv / pooling (torch threads: {torch.get_num_threads()})")


if __name__ == "__main__":
    main()
