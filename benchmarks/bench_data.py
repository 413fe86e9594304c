"""DataLoader throughput: ember vs torch in one process.

    python benchmarks/bench_data.py
1. 2,048 samples whose __getitem__ costs ~1 ms of Python work, batch 64: num_workers=2 vs 0
   (goal: >= 1.6x), and ember vs torch with num_workers=2 (goal: >= 0.9x torch's throughput).
2. In-memory TensorDataset 60000x784 float32, batch 64, num_workers=0 (goal: no slower than torch).
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402


class SlowImages:
    """Each sample: ~1 ms of per-pixel-row Python work on a 3x32x32 image (like decode+augment)."""

    def __init__(self, n=2048, to_tensor=None):
        self.n = n
        self.to_tensor = to_tensor

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        rng = np.random.default_rng(i)
        img = rng.random((3, 32, 32), dtype=np.float32)
        t0 = time.perf_counter()
        acc = 0.0
        while time.perf_counter() - t0 < 0.001:     # stand-in for decoding/augmenting in Python
            acc += float(img[0, 0, 0])
        img = img[:, ::-1].copy() if i % 2 else img
        return self.to_tensor(img), i % 10


def epoch_seconds(loader):
    t0 = time.perf_counter()
    for _ in loader:
        pass
    return time.perf_counter() - t0


def main():
    import ember
    import torch
    from ember.utils.data import DataLoader as EDL, TensorDataset as ETD
    from torch.utils.data import DataLoader as TDL, TensorDataset as TTD

    ds_e = SlowImages(to_tensor=ember.from_numpy)
    ds_t = SlowImages(to_tensor=torch.from_numpy)
    e0 = min(epoch_seconds(EDL(ds_e, batch_size=64, num_workers=0)) for _ in range(2))
    e2 = min(epoch_seconds(EDL(ds_e, batch_size=64, num_workers=2)) for _ in range(2))
    t2 = min(epoch_seconds(TDL(ds_t, batch_size=64, num_workers=2)) for _ in range(2))
    print("slow __getitem__ (2048 x ~1 ms), batch 64")
    print(f"  ember workers=0: {e0:.2f} s   ember workers=2: {e2:.2f} s   speed-up {e0 / e2:.2f}x (goal >= 1.6)")
    print(f"  torch workers=2: {t2:.2f} s   ember throughput / torch: {t2 / e2:.2f} (goal >= 0.9)")

    x = np.random.default_rng(0).random((60000, 784), dtype=np.float32)
    y = np.random.default_rng(1).integers(0, 10, 60000)
    le = EDL(ETD(ember.from_numpy(x), ember.from_numpy(y)), batch_size=64)
    lt = TDL(TTD(torch.from_numpy(x), torch.from_numpy(y)), batch_size=64)
    te = min(epoch_seconds(le) for _ in range(3))
    tt = min(epoch_seconds(lt) for _ in range(3))
    print("TensorDataset 60000x784, batch 64, workers=0")
    print(f"  ember {te:.2f} s   torch {tt:.2f} s   ratio ember/torch {te / tt:.2f} (goal <= 1.0)")


if __name__ == "__main__":
    main()
