"""ember on 'cuda' (CuPy) vs torch on 'cuda' in one process; prints ember/torch time ratios.

    python benchmarks/bench_cuda.py [--only NAME ...]

Needs an NVIDIA GPU with CuPy and a CUDA build of torch. Every timed call ends with a device
synchronize, so the times are the GPU's work plus the Python that launches it.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

from common import bench, report  # noqa: E402


def synced(fn, sync):
    def call():
        fn()
        sync()
    return call


def pair(name, make, ember, torch, repeat=15, min_time=0.5):
    """make(lib) -> a step function for that library (ember or torch), data already on the GPU."""
    e = bench(synced(make(ember), ember.cuda.synchronize), repeat=repeat, min_time=min_time)
    t = bench(synced(make(torch), torch.cuda.synchronize), repeat=repeat, min_time=min_time)
    return (name, e, t, None)          # no goals set for the GPU yet


def on_gpu(lib, a):
    return lib.tensor(a, device="cuda")


def tiny(lib):
    x = lib.randn(10, device="cuda", requires_grad=True)
    return lambda: (x * 2 + 1).relu().sum().backward()


def matmul(n):
    def make(lib):
        r = np.random.default_rng(0)
        a = on_gpu(lib, r.standard_normal((n, n), dtype=np.float32))
        b = on_gpu(lib, r.standard_normal((n, n), dtype=np.float32))
        return lambda: a @ b
    return make


def exp(lib):
    x = on_gpu(lib, np.random.default_rng(0).standard_normal(64 << 20, dtype=np.float32))
    return lambda: lib.exp(x)


def to_device(lib):
    h = lib.from_numpy(np.random.default_rng(0).standard_normal(16 << 20, dtype=np.float32)).pin_memory()
    return lambda: h.to("cuda", non_blocking=True)


def mlp(batch):
    def make(lib):
        nn = lib.nn
        r = np.random.default_rng(0)
        x = on_gpu(lib, r.standard_normal((batch, 784), dtype=np.float32))
        y = on_gpu(lib, r.integers(0, 10, batch))
        m = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10)).cuda()
        opt = lib.optim.SGD(m.parameters(), lr=0.01)
        return train_step(lib, m, opt, x, y)
    return make


def train_step(lib, m, opt, x, y):
    def step():
        opt.zero_grad()
        lib.nn.functional.cross_entropy(m(x), y).backward()
        opt.step()
    return step


def lenet5(nn):
    """Seed 004's LeNet-5 built with either library's nn."""
    return nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16 * 4 * 4, 120), nn.ReLU(),
                         nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def lenet(batch):
    def make(lib):
        r = np.random.default_rng(0)
        x = on_gpu(lib, r.standard_normal((batch, 1, 28, 28), dtype=np.float32))
        y = on_gpu(lib, r.integers(0, 10, batch))
        m = lenet5(lib.nn).cuda()
        return train_step(lib, m, lib.optim.SGD(m.parameters(), lr=0.01, momentum=0.9), x, y)
    return make


def resnet18(batch):
    def make(lib):
        if lib.__name__ == "torch":
            import torchvision.models as models
        else:
            import ember.vision.models as models
        r = np.random.default_rng(0)
        x = on_gpu(lib, r.standard_normal((batch, 3, 64, 64), dtype=np.float32))
        y = on_gpu(lib, r.integers(0, 10, batch))
        m = models.resnet18(num_classes=10).cuda()
        return train_step(lib, m, lib.optim.SGD(m.parameters(), lr=0.01, momentum=0.9), x, y)
    return make


WORKLOADS = {
    "tiny": ("tiny graph (x*2+1).relu().sum().backward()", tiny),
    "matmul": ("matmul 4096x4096 float32", matmul(4096)),
    "exp": ("exp over 64M float32", exp),
    "h2d": ("pinned host -> GPU copy, 64 MiB", to_device),
    "mlp64": ("MLP 784-512-512-10 step, batch 64, SGD", mlp(64)),
    "mlp4096": ("MLP 784-512-512-10 step, batch 4096, SGD", mlp(4096)),
    "lenet": ("LeNet-5 step, batch 256, SGD momentum", lenet(256)),
    "resnet18": ("ResNet-18 step, batch 32, 64x64, SGD momentum", resnet18(32)),
}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", nargs="*", choices=sorted(WORKLOADS), help="run these workloads only")
    args = p.parse_args()
    import ember
    import torch
    if not (ember.cuda.is_available() and torch.cuda.is_available()):
        sys.exit("bench_cuda: needs CUDA in both ember (CuPy) and torch")
    torch.backends.cuda.matmul.allow_tf32 = False     # torch's default; CuPy does not use TF32 either
    torch.backends.cudnn.allow_tf32 = False
    rows = []
    for key in args.only or WORKLOADS:
        name, make = WORKLOADS[key]
        try:
            rows.append(pair(name, make, ember, torch))
        except Exception as e:  # noqa: BLE001  (report the failure and go on with the other workloads)
            print(f"{name}: failed: {type(e).__name__}: {e}")
    report(rows, f"ember vs torch on {torch.cuda.get_device_name()} (same process, each call synchronized; "
                 f"median)")


if __name__ == "__main__":
    main()
