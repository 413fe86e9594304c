"""nn hot paths: ember vs torch (CPU) in one process, identical weights, alternating samples.

Workloads (issue #3's speed goals):
- LeNet-5 training step (batch 64, 1x28x28): forward, cross-entropy, backward, SGD step
- Conv2d 64->64 3x3 padding 1 on 8x64x56x56: forward (no grad) and forward+backward
- BatchNorm2d + ReLU + MaxPool2d(2) on 32x64x56x56, train mode: forward+backward
- small MLP step and single calls (linear, relu, cross_entropy) for per-call Python overhead

Each row: median ember time, median torch time, ratio and goal. ember and torch samples alternate so
a shared machine's load falls on both alike.

Run: .venv/bin/python benchmarks/bench_nn.py [--repeat N] [--only SUBSTRING] [--threads T]
(--threads sets both torch's and OpenBLAS's thread count; on a loaded shared machine --threads 1
gives far steadier ratios, as neither library then waits on a descheduled worker thread.)
"""
import argparse
import os
import statistics
import sys
import time

if __name__ == "__main__" and "--threads" in sys.argv:          # before numpy loads OpenBLAS
    _t = sys.argv[sys.argv.index("--threads") + 1]
    for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_v] = _t

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch  # noqa: E402

import ember  # noqa: E402
from benchmarks.common import report  # noqa: E402


def paired(fe, ft, repeat=15, inner=1):
    """Median seconds per call of fe and of ft, sampled alternately after warm-up calls."""
    for _ in range(2):
        fe()
        ft()
    te, tt = [], []
    for _ in range(repeat):
        for fn, acc in ((fe, te), (ft, tt)):
            t0 = time.perf_counter()
            for _ in range(inner):
                fn()
            acc.append((time.perf_counter() - t0) / inner)
    return statistics.median(te), statistics.median(tt)


def copy_weights(src_t, dst_e):
    """torch module -> ember module (same structure), parameters and buffers copied."""
    sd = {k: ember.from_numpy(v.detach().numpy().copy()) for k, v in src_t.state_dict().items()}
    dst_e.load_state_dict(sd)


def _build(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(256, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def _train_step(lib, model, x, y):
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = lib.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
    return step


def lenet(repeat):
    torch.manual_seed(0)
    mt = _build(torch)
    me = _build(ember)
    copy_weights(mt, me)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 64)
    se = _train_step(ember, me, ember.from_numpy(x), ember.from_numpy(y))
    st = _train_step(torch, mt, torch.from_numpy(x), torch.from_numpy(y))
    return [("LeNet-5 train step, batch 64", *paired(se, st, repeat * 4), 1.3)]


def mlp(repeat):
    def build(lib):
        nn = lib.nn
        return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    torch.manual_seed(0)
    mt, me = build(torch), build(ember)
    copy_weights(mt, me)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((64, 784)).astype(np.float32)
    y = rng.integers(0, 10, 64)
    se = _train_step(ember, me, ember.from_numpy(x), ember.from_numpy(y))
    st = _train_step(torch, mt, torch.from_numpy(x), torch.from_numpy(y))
    rows = [("MLP 784-256-128-10 train step, batch 64", *paired(se, st, repeat * 4), None)]
    # single calls: Python overhead per op
    h = rng.standard_normal((64, 120)).astype(np.float32)
    w = rng.standard_normal((84, 120)).astype(np.float32)
    b = rng.standard_normal(84).astype(np.float32)
    he, we, be = (ember.from_numpy(a) for a in (h, w, b))
    ht, wt, bt = (torch.from_numpy(a) for a in (h, w, b))
    rows.append(("F.linear 64x120 -> 84", *paired(lambda: ember.nn.functional.linear(he, we, be),
                                                 lambda: torch.nn.functional.linear(ht, wt, bt), repeat, 200), None))
    rows.append(("F.relu 64x120", *paired(lambda: ember.nn.functional.relu(he),
                                         lambda: torch.nn.functional.relu(ht), repeat, 200), None))
    logits = rng.standard_normal((64, 10)).astype(np.float32)
    le = ember.from_numpy(logits).requires_grad_()
    lt = torch.from_numpy(logits).requires_grad_()
    ye, yt = ember.from_numpy(y), torch.from_numpy(y)

    def ce(lib, l, t):
        def f():
            l.grad = None
            lib.nn.functional.cross_entropy(l, t).backward()
        return f
    rows.append(("F.cross_entropy 64x10 fwd+bwd", *paired(ce(ember, le, ye), ce(torch, lt, yt), repeat, 50), None))
    return rows


def conv(repeat):
    torch.manual_seed(0)
    ct = torch.nn.Conv2d(64, 64, 3, padding=1)
    ce = ember.nn.Conv2d(64, 64, 3, padding=1)
    copy_weights(ct, ce)
    x = np.random.default_rng(2).standard_normal((8, 64, 56, 56)).astype(np.float32)
    xe, xt = ember.from_numpy(x.copy()), torch.from_numpy(x.copy())
    rows = []
    with ember.no_grad(), torch.no_grad():
        rows.append(("Conv2d 64->64 3x3 p1, 8x64x56x56 fwd", *paired(lambda: ce(xe), lambda: ct(xt), repeat), 1.5))
    xe.requires_grad_()
    xt.requires_grad_()

    def fb(m, x):
        def f():
            x.grad = None
            m.zero_grad()
            m(x).sum().backward()
        return f
    rows.append(("Conv2d 64->64 3x3 p1, 8x64x56x56 fwd+bwd", *paired(fb(ce, xe), fb(ct, xt), repeat), 1.8))
    return rows


def bn_relu_pool(repeat):
    def build(lib):
        nn = lib.nn
        return nn.Sequential(nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2))
    mt, me = build(torch), build(ember)
    copy_weights(mt, me)
    x = np.random.default_rng(3).standard_normal((32, 64, 56, 56)).astype(np.float32)
    xe = ember.from_numpy(x.copy()).requires_grad_()
    xt = torch.from_numpy(x.copy()).requires_grad_()
    ge = ember.from_numpy(np.ones((32, 64, 28, 28), np.float32))
    gt = torch.ones((32, 64, 28, 28))

    def fb(m, x, g):
        def f():
            x.grad = None
            m.zero_grad()
            m(x).backward(g)
        return f
    return [("BN2d+ReLU+MaxPool2d(2) 32x64x56x56 fwd+bwd", *paired(fb(me, xe, ge), fb(mt, xt, gt), repeat), 2.0)]


WORKLOADS = {"lenet": lenet, "conv": conv, "bn": bn_relu_pool, "mlp": mlp}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=9)
    ap.add_argument("--only", default="")
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    rows = []
    for name, fn in WORKLOADS.items():
        if args.only in name:
            rows += fn(args.repeat)
    report(rows, f"nn hot paths (torch threads: {torch.get_num_threads()})")


if __name__ == "__main__":
    main()
