"""Timing helpers shared by the benchmarks: ember and torch measured in one process."""
import statistics
import time


def bench(fn, repeat=30, min_time=0.2, warmup=3):
    """Median seconds per call of fn() over `repeat` samples (each sample loops >= min_time/repeat)."""
    for _ in range(warmup):
        fn()
    t0 = time.perf_counter()
    fn()
    one = max(time.perf_counter() - t0, 1e-7)
    inner = max(1, int(min_time / repeat / one))
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - t0) / inner)
    return statistics.median(samples)


def report(rows, title):
    """rows: (name, ember_seconds, torch_seconds, goal_ratio_or_None)."""
    print(f"\n{title}")
    print(f"{'workload':48s} {'ember':>11s} {'torch':>11s} {'ratio':>7s} {'goal':>6s}")
    for name, e, t, goal in rows:
        ratio = e / t
        mark = "" if goal is None else ("ok" if ratio <= goal else "MISS")
        g = "" if goal is None else f"<={goal}"
        print(f"{name:48s} {_fmt(e):>11s} {_fmt(t):>11s} {ratio:7.2f} {g:>6s} {mark}")


def _fmt(s):
    if s < 1e-3:
        return f"{s * 1e6:.1f} us"
    if s < 1:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.2f} s"
