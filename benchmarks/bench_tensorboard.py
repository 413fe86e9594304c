"""add_scalar cost: ember's SummaryWriter next to torch.utils.tensorboard's (buffered, default settings).

Reports microseconds per call for the calls alone and including the final close() (all events
framed and written). Run: .venv/bin/python benchmarks/bench_tensorboard.py [N]
"""
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def measure(writer_cls, value, n):
    d = tempfile.mkdtemp(prefix="bench_tb_")
    try:
        w = writer_cls(d)
        w.add_scalar("warmup", 0.0, 0)
        t0 = time.perf_counter()
        for i in range(n):
            w.add_scalar("train/loss", value, i)
        t1 = time.perf_counter()
        w.close()
        t2 = time.perf_counter()
        return (t1 - t0) / n * 1e6, (t2 - t0) / n * 1e6
    finally:
        shutil.rmtree(d, ignore_errors=True)


def main(n=20000):
    import ember
    from ember.utils.tensorboard import SummaryWriter
    rows = [("ember", "float", measure(SummaryWriter, 0.25, n)),
            ("ember", "0-d tensor", measure(SummaryWriter, ember.tensor(0.25), n))]
    try:
        import torch
        from torch.utils.tensorboard import SummaryWriter as TorchWriter
        rows += [("torch", "float", measure(TorchWriter, 0.25, n)),
                 ("torch", "0-d tensor", measure(TorchWriter, torch.tensor(0.25), n))]
    except ImportError:
        print("(torch / tensorboard not installed: torch column skipped)")
    print(f"add_scalar, {n} calls          us/call   us/call incl. close")
    for lib, kind, (calls, total) in rows:
        print(f"  {lib:6s} {kind:12s}        {calls:8.2f}   {total:8.2f}")
    return rows


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)
