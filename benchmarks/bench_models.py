"""ResNet-18: ember vs torchvision, same weights, same inputs, same process.

    PYTHONPATH=/work/main /work/tvenv/bin/python benchmarks/bench_models.py [--threads N] [--profile]

Measures eval-mode inference (batch 8, 3x224x224) and one SGD training step (batch 16:
forward, cross-entropy, backward, step) and prints the ember/torch time ratios (targets: <= 1.5
and <= 2.0). ``--profile`` adds a cProfile summary of one ember training step.

By default each library runs its calls back to back after a warm-up (as in a real training run),
one library after the other. ``--interleaved`` alternates the two instead: on this project's
2-core machine a torch training step leaves the process in a state where the next ember step's
memory-bound copies (im2col) run ~1.5x slower, while torch is not affected by ember's steps, so
interleaving measures that interaction more than either library."""
import argparse
import time

import numpy as np


def best_of_interleaved(fns, repeat, warmup=1):
    """Best time of each function, the runs alternating so that load from other processes on a
    shared machine hits both sides alike."""
    for fn in fns:
        for _ in range(warmup):
            fn()
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t0)
    return best


def best_of_phases(fns, repeat, warmup=1):
    """Best time of each function, each run `repeat` times in a row after its own warm-up."""
    best = []
    for fn in fns:
        for _ in range(warmup):
            fn()
        b = float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn()
            b = min(b, time.perf_counter() - t0)
        best.append(b)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--interleaved", action="store_true", help="alternate torch and ember calls")
    args = ap.parse_args()
    best_of = best_of_interleaved if args.interleaved else best_of_phases

    import torch
    import torchvision

    import ember
    from ember.vision import models as emodels

    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    tmodel = torchvision.models.resnet18()
    emodel = emodels.resnet18()
    emodel.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy()) for k, v in tmodel.state_dict().items()})

    rng = np.random.default_rng(0)
    x8 = rng.standard_normal((8, 3, 224, 224)).astype(np.float32)
    x16 = rng.standard_normal((16, 3, 224, 224)).astype(np.float32)
    y16 = rng.integers(0, 1000, 16)
    tx8, ex8 = torch.from_numpy(x8), ember.from_numpy(x8)
    tx16, ex16 = torch.from_numpy(x16), ember.from_numpy(x16)
    ty16, ey16 = torch.from_numpy(y16), ember.from_numpy(y16)

    tmodel.eval()
    emodel.eval()
    with torch.no_grad(), ember.no_grad():
        diff = np.abs(tmodel(tx8).numpy() - emodel(ex8).numpy()).max()

    def t_infer():
        with torch.no_grad():
            tmodel(tx8)

    def e_infer():
        with ember.no_grad():
            emodel(ex8)

    t_inf, e_inf = best_of([t_infer, e_infer], args.repeat)

    tmodel.train()
    emodel.train()
    topt = torch.optim.SGD(tmodel.parameters(), lr=0.01, momentum=0.9)
    eopt = ember.optim.SGD(emodel.parameters(), lr=0.01, momentum=0.9)
    tloss, eloss = torch.nn.CrossEntropyLoss(), ember.nn.CrossEntropyLoss()

    def t_step():
        topt.zero_grad()
        tloss(tmodel(tx16), ty16).backward()
        topt.step()

    def e_step():
        eopt.zero_grad()
        eloss(emodel(ex16), ey16).backward()
        eopt.step()

    t_tr, e_tr = best_of([t_step, e_step], args.repeat)

    print(f"torch {torch.__version__} ({torch.get_num_threads()} threads), torchvision {torchvision.__version__}; "
          f"{'interleaved' if args.interleaved else 'one library after the other'}, best of {args.repeat}")
    print(f"max |logit difference| (eval, batch 8): {diff:.2e}")
    print(f"{'workload':36s} {'torch':>9s} {'ember':>9s} {'ratio':>7s} target")
    print(f"{'resnet18 inference  b8 3x224x224':36s} {t_inf * 1e3:8.1f}ms {e_inf * 1e3:8.1f}ms "
          f"{e_inf / t_inf:7.2f} <= 1.5")
    print(f"{'resnet18 train step b16 3x224x224':36s} {t_tr * 1e3:8.1f}ms {e_tr * 1e3:8.1f}ms "
          f"{e_tr / t_tr:7.2f} <= 2.0")

    if args.profile:
        import cProfile
        import pstats
        prof = cProfile.Profile()
        prof.enable()
        e_step()
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main()
