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


def bench_pair(fe, ft, repeat=30, min_time=0.4, warmup=3):
    """Ember and torch timed in alternating samples, so that the machine's drifting speed (this VM's
    varies by up to 2x within minutes) meets both alike: (ember median, torch median, median of the
    per-sample ratios)."""
    for _ in range(warmup):
        fe()
        ft()
    inner = [_loops(f, min_time / repeat / 2) for f in (fe, ft)]
    te, tt = [], []
    for _ in range(repeat):
        for f, n, out in ((fe, inner[0], te), (ft, inner[1], tt)):
            t0 = time.perf_counter()
            for _ in range(n):
                f()
            out.append((time.perf_counter() - t0) / n)
    ratios = [e / t for e, t in zip(te, tt)]
    return statistics.median(te), statistics.median(tt), statistics.median(ratios)


def _loops(f, seconds):
    t0 = time.perf_counter()
    f()
    return max(1, int(seconds / max(time.perf_counter() - t0, 1e-7)))


def report(rows, title):
    """rows: (name, ember_seconds, torch_seconds, goal_ratio_or_None[, ratio]); without a ratio of its
    own (bench_pair's), a row's ratio is ember / torch."""
    print(f"\n{title}")
    print(f"{'workload':48s} {'ember':>11s} {'torch':>11s} {'ratio':>7s} {'goal':>6s}")
    for name, e, t, goal, *paired in rows:
        ratio = paired[0] if paired else e / t
        mark = "" if goal is None else ("ok" if ratio <= goal else "MISS")
        g = "" if goal is None else f"<={goal}"
        print(f"{name:48s} {_fmt(e):>11s} {_fmt(t):>11s} {ratio:7.2f} {g:>6s} {mark}")


def _fmt(s):
    if s < 1e-3:
        return f"{s * 1e6:.1f} us"
    if s < 1:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.2f} s"
