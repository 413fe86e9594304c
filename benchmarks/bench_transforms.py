"""Training-style image pipeline: ember.vision.transforms vs torchvision.transforms in one process.

RandomResizedCrop(224) + RandomHorizontalFlip + ToTensor + Normalize on a 500x375 JPEG made with Pillow in a
temporary directory, timed (a) on the decoded PIL image and (b) including Image.open/convert per sample.
Samples alternate between the two libraries so machine load falls on both alike.

Needs torchvision importable beside ember, e.g.
    PYTHONPATH=/work/main /work/tvenv/bin/python benchmarks/bench_transforms.py
Without torchvision it times ember alone.
"""
import os
import statistics
import sys
import tempfile
import time

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import ember  # noqa: E402
from ember.vision import transforms as ET  # noqa: E402

try:
    import torch
    import torchvision.transforms as TT
except ImportError:  # torchvision missing: ember only
    torch = TT = None

MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def pipeline(T):
    return T.Compose([T.RandomResizedCrop(224), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize(MEAN, STD)])


def make_jpeg(folder):
    yy, xx = np.mgrid[0:375, 0:500]
    noise = np.random.default_rng(0).integers(0, 40, (375, 500, 3))
    arr = np.clip(np.stack([xx * 0.5, yy * 0.6, (xx + yy) * 0.3], -1) + noise, 0, 255).astype(np.uint8)
    path = os.path.join(folder, "img.jpg")
    Image.fromarray(arr).save(path, quality=90)
    return path


def timed(fns, n=200, repeat=7):
    """Median seconds per call for each fn, alternating fns within every repeat."""
    for fn in fns:
        for _ in range(5):
            fn()
    acc = [[] for _ in fns]
    for _ in range(repeat):
        for fn, a in zip(fns, acc):
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            a.append((time.perf_counter() - t0) / n)
    return [statistics.median(a) for a in acc]


def main():
    if torch is not None:
        torch.manual_seed(0)
        torch.set_num_threads(1)   # one sample per DataLoader worker process: single-threaded on both sides
    ember.manual_seed(0)
    with tempfile.TemporaryDirectory() as d:
        path = make_jpeg(d)
        img = Image.open(path).convert("RGB")
        pe = pipeline(ET)
        cases = [("RRC224+flip+ToTensor+Normalize, decoded PIL", lambda: pe(img), None),
                 ("same incl. JPEG open+decode", lambda: pe(Image.open(path).convert("RGB")), None)]
        if TT is not None:
            pt = pipeline(TT)
            cases = [(cases[0][0], cases[0][1], lambda: pt(img)),
                     (cases[1][0], cases[1][1], lambda: pt(Image.open(path).convert("RGB")))]
        print(f"{'workload':48s} {'ember':>10s} {'torchvision':>12s} {'ratio':>6s}")
        for name, fe, ft in cases:
            if ft is None:
                (te,) = timed([fe])
                print(f"{name:48s} {te * 1e3:8.3f}ms {'-':>12s}")
            else:
                te, tt = timed([fe, ft])
                print(f"{name:48s} {te * 1e3:8.3f}ms {tt * 1e3:10.3f}ms {te / tt:6.2f}  (goal <= 1.2)")


if __name__ == "__main__":
    main()
