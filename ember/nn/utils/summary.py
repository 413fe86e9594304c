"""`summary(model, input_size)`: a torchinfo-like table of each layer's output shape and parameters."""
from ..._tensor import Tensor

__all__ = ["summary", "ModelSummary"]

_WIDTHS = (40, 25, 15)


class ModelSummary:
    """What summary() returns: the totals, the per-layer rows, and the printed table (`str(s)`)."""

    def __init__(self, rows, total_params, trainable_params, input_bytes, output_bytes, param_bytes):
        self.summary_list = rows
        self.total_params = total_params
        self.trainable_params = trainable_params
        self.non_trainable_params = total_params - trainable_params
        self.input_size_bytes = input_bytes
        self.forward_backward_bytes = output_bytes
        self.params_bytes = param_bytes

    def _line(self, *cols):
        return "".join(str(c).ljust(w) for c, w in zip(cols, _WIDTHS)).rstrip()

    def __str__(self):
        bar = "=" * sum(_WIDTHS)
        lines = [bar, self._line("Layer (type:depth-idx)", "Output Shape", "Param #"), bar]
        for r in self.summary_list:
            lines.append(self._line(r["name"], r["output_shape"], r["params_str"]))
        mb = 1024 ** 2
        total_mb = (self.input_size_bytes + self.forward_backward_bytes + self.params_bytes) / mb
        lines += [bar, f"Total params: {self.total_params:,}", f"Trainable params: {self.trainable_params:,}",
                  f"Non-trainable params: {self.non_trainable_params:,}", bar,
                  f"Input size (MB): {self.input_size_bytes / mb:.2f}",
                  f"Forward/backward pass size (MB): {self.forward_backward_bytes / mb:.2f}",
                  f"Params size (MB): {self.params_bytes / mb:.2f}",
                  f"Estimated Total Size (MB): {total_mb:.2f}", bar]
        return "\n".join(lines)

    __repr__ = __str__


def _shape_of(out):
    if isinstance(out, Tensor):
        return list(out.shape)
    if isinstance(out, (tuple, list)):
        shapes = [_shape_of(o) for o in out if isinstance(o, (Tensor, tuple, list))]
        return shapes[0] if len(shapes) == 1 else shapes
    if isinstance(out, dict):
        return _shape_of(list(out.values()))
    return "--"


def _bytes_of(out):
    if isinstance(out, Tensor):
        return out.numel() * out.element_size()
    if isinstance(out, (tuple, list)):
        return sum(_bytes_of(o) for o in out)
    if isinstance(out, dict):
        return sum(_bytes_of(o) for o in out.values())
    return 0


def summary(model, input_size=None, input_data=None, *, batch_dim=None, dtypes=None, device=None, depth=3,
            verbose=1, **kwargs):
    """Runs one forward pass (no grad) on `input_data`, or on zeros of `input_size` (a shape or a list of shapes),
    records each module's output, prints the table (verbose > 0) and returns a ModelSummary."""
    import ember
    if input_data is None:
        if input_size is None:
            raise ValueError("summary() needs input_size or input_data")
        sizes = [input_size] if isinstance(input_size[0], int) else list(input_size)
        if batch_dim is not None:
            sizes = [tuple(s[:batch_dim]) + (1,) + tuple(s[batch_dim:]) for s in sizes]
        dts = dtypes or [None] * len(sizes)
        input_data = [ember.zeros(tuple(s), dtype=dt, device=device) for s, dt in zip(sizes, dts)]
    args = list(input_data) if isinstance(input_data, (list, tuple)) else [input_data]

    records = {}
    order = []
    handles = []
    for name, m in model.named_modules():
        def hook(mod, inp, out, _name=name):
            if _name not in records:
                order.append(_name)
            records[_name] = out
        handles.append(m.register_forward_hook(hook))
    try:
        with ember.no_grad():
            model(*args, **kwargs)
    finally:
        for h in handles:
            h.remove()

    rows = []
    counters = {}
    out_bytes = 0
    modules = dict(model.named_modules())
    for name, m in model.named_modules():
        level = 0 if name == "" else name.count(".") + 1
        if level > depth:
            continue
        counters[level] = counters.get(level, 0) + 1
        for deeper in [k for k in counters if k > level]:
            counters[deeper] = 0
        own = sum(p.numel() for p in m.parameters(recurse=False))
        leaf = not m._modules
        if leaf or own:
            params_str = f"{own:,}" if (own or leaf) else "--"
        else:
            params_str = "--"
        if level == 0:
            label = type(m).__name__
        else:
            label = "│    " * (level - 1) + f"├─{type(m).__name__}: {level}-{counters[level]}"
        out = records.get(name)
        if leaf and out is not None:
            out_bytes += _bytes_of(out)
        rows.append({"name": label, "module": modules[name], "output_shape": _shape_of(out) if name in records
                     else "--", "params_str": params_str, "num_params": own, "depth": level})
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    param_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    in_bytes = sum(_bytes_of(a) for a in args)
    result = ModelSummary(rows, total, trainable, in_bytes, 2 * out_bytes, param_bytes)
    if verbose:
        print(result)
    return result
