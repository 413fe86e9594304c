"""Metrics `fn(output, target) -> float` and a running-average tracker."""
import functools

__all__ = ["accuracy", "top_k_acc", "METRICS", "MetricTracker", "resolve_metric"]


def accuracy(output, target):
    """Fraction of rows whose arg-max class equals the target."""
    pred = output.argmax(dim=1)
    return (pred == target).sum().item() / max(len(target), 1)


def top_k_acc(output, target, k=3):
    """Fraction of rows whose target is among the k highest scores."""
    k = min(k, output.shape[1])
    top = output.topk(k, dim=1).indices
    return (top == target.unsqueeze(1)).any(dim=1).sum().item() / max(len(target), 1)


METRICS = {"accuracy": accuracy, "top_k_acc": top_k_acc}


def resolve_metric(entry, index=0):
    """A config metrics entry ("accuracy", {"type": "top_k_acc", "args": {"k": 5}}, "pkg.mod:fn") -> (name, fn)."""
    from .config import resolve, check_args, metric_name
    key = f"metrics[{index}]"
    spec = entry if isinstance(entry, dict) else {"type": entry}
    fn = resolve(spec["type"], key if isinstance(entry, str) else key + ".type", METRICS, "metric")
    args = spec.get("args", {})
    if args:
        check_args(fn, args, key, injected=("output", "target"))
        fn = functools.wraps(fn)(functools.partial(fn, **args))
    return metric_name(entry), fn


class MetricTracker:
    """Sample-weighted running averages of named values."""

    def __init__(self, *keys):
        self._total = dict.fromkeys(keys, 0.0)
        self._count = dict.fromkeys(keys, 0)

    def reset(self):
        for k in self._total:
            self._total[k], self._count[k] = 0.0, 0

    def update(self, key, value, n=1):
        self._total[key] = self._total.get(key, 0.0) + float(value) * n
        self._count[key] = self._count.get(key, 0) + n

    def avg(self, key):
        return self._total[key] / self._count[key] if self._count[key] else float("nan")

    def result(self):
        return {k: self.avg(k) for k in self._total}
