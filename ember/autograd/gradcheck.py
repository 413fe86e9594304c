"""gradcheck / gradgradcheck: analytical gradients against float64 finite differences."""
import numpy as _np


class GradcheckError(RuntimeError):
    pass


def _as_tuple(x):
    return x if isinstance(x, tuple) else (x,)


def _host64(t):
    """A tensor's values as a flat float64 NumPy array (copied from its device)."""
    return _np.asarray(t._device.backend.asnumpy(t._data), dtype=_np.float64).reshape(-1).copy()


def _numerical_jacobian(fn, inputs, idx, eps):
    """Jacobian columns d(outputs)/d(inputs[idx]) by central differences (list per output)."""
    from .grad_mode import no_grad
    x = inputs[idx]
    flat = x._data.reshape(-1) if x._data.flags.c_contiguous else None
    if flat is None:
        raise GradcheckError("gradcheck needs contiguous inputs")
    cols = []
    with no_grad():
        for k in range(flat.size):
            orig = flat[k].item()
            flat[k] = orig + eps
            plus = [_host64(o) for o in _as_tuple(fn(*inputs))]
            flat[k] = orig - eps
            minus = [_host64(o) for o in _as_tuple(fn(*inputs))]
            flat[k] = orig
            cols.append([(p - m) / (2 * eps) for p, m in zip(plus, minus)])
    if not cols:        # an empty input: a (numel_out, 0) Jacobian per output
        with no_grad():
            return [_np.zeros((_host64(o).size, 0)) for o in _as_tuple(fn(*inputs))]
    # per output: (numel_out, numel_in)
    return [_np.stack([c[o] for c in cols], axis=1) for o in range(len(cols[0]))]


def _analytical_jacobian(fn, inputs, idx_list):
    from . import grad as autograd_grad
    from .._tensor import Tensor
    outs = _as_tuple(fn(*inputs))
    jac = {}
    for oi, o in enumerate(outs):
        if not isinstance(o, Tensor) or not o._rg:
            continue
        n = o._data.size
        rows = {i: _np.zeros((n, inputs[i]._data.size)) for i in idx_list}
        for r in range(n):
            go = o._device.xp.zeros(o._data.size, dtype=o._data.dtype)
            go[r] = 1
            g = Tensor._wrap(go.reshape(o._data.shape), o._device)
            grads = autograd_grad([o], [inputs[i] for i in idx_list], [g], retain_graph=True, allow_unused=True)
            for i, gi in zip(idx_list, grads):
                if gi is not None:
                    rows[i][r] = _host64(gi)
        for i in idx_list:
            jac[(oi, i)] = rows[i]
    return outs, jac


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
              check_batched_forward_grad=False, check_forward_ad=False, check_backward_ad=True,
              fast_mode=False, masked=None):
    """True when the analytical gradient of func at inputs matches finite differences."""
    from .._tensor import Tensor
    inputs = tuple(inputs) if isinstance(inputs, list) else _as_tuple(inputs)
    idx_list = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x._rg]
    if not idx_list:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of the them have requires_grad=True.")
    for i in idx_list:
        if inputs[i].dtype.name not in ("float64", "complex128"):
            import warnings
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating point or complex. "
                          "This check will likely fail if all the inputs are not of double precision floating point or complex. ")
    outs, ana = _analytical_jacobian(func, inputs, idx_list)
    for i in idx_list:
        num = _numerical_jacobian(func, inputs, i, eps)
        for oi, o in enumerate(outs):
            if (oi, i) not in ana:
                continue
            a = ana[(oi, i)]
            n = num[oi]
            if not _np.allclose(a, n, rtol=rtol, atol=atol):
                if raise_exception:
                    raise GradcheckError(
                        f"Jacobian mismatch for output {oi} with respect to input {i},\n"
                        f"numerical:{n}\nanalytical:{a}\n")
                return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, gen_non_contig_grad_outputs=False,
                  raise_exception=True, nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
                  check_batched_grad=False, check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False,
                  masked=False):
    """gradcheck of the gradient: checks second derivatives (create_graph backward formulas)."""
    from . import grad as autograd_grad
    from .._tensor import Tensor
    from .. import random as _random
    inputs = _as_tuple(inputs)
    outs = _as_tuple(func(*inputs))
    if grad_outputs is None:
        rng = _np.random.default_rng(0)
        grad_outputs = tuple(
            Tensor._wrap(o._device.xp.asarray(rng.standard_normal(o._data.shape).astype(o._data.dtype)),
                         o._device).requires_grad_()
            for o in outs if isinstance(o, Tensor) and o._rg)
    grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x._rg]

    def first_grads(*args):
        from .grad_mode import enable_grad
        ins, gos = args[:n_in], args[n_in:]
        with enable_grad():    # finite differences run under no_grad; the first gradient needs a graph
            o = [t for t in _as_tuple(func(*ins)) if isinstance(t, Tensor) and t._rg]
            gs = autograd_grad(o, [ins[i] for i in diff_idx], gos, create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(first_grads, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
