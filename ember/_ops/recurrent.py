"""Recurrent-cell primitives: the gate arithmetic of one LSTM / GRU step as single ops, and torch's
functional cells (torch.lstm_cell, torch.gru_cell, torch.rnn_tanh_cell, torch.rnn_relu_cell).

The matrix products stay separate (Addmm); what a fused op replaces is the elementwise work that
follows them, a dozen small ops per time step otherwise (chunk, three sigmoids, two tanhs, the
products and sums), each paying the per-op overhead forward and again backward.

    FusedLstmCell(gates, c_prev) -> (h, c)       gates: (N, 4H), column blocks (i, f, g, o), biases in
        c = sigmoid(f) * c_prev + sigmoid(i) * tanh(g),   h = sigmoid(o) * tanh(c)
    FusedGruCell(gi, gh, h_prev) -> h            gi, gh: (N, 3H), column blocks (r, z, n)
        r = sigmoid(gi_r + gh_r), z = sigmoid(gi_z + gh_z), n = tanh(gi_n + r * gh_n)
        h = (1 - z) * n + z * h_prev

Forward computes each activation once and saves the activated gates. The first-order backward
(no graph being built, the training case) runs on arrays from those saved activations; when a graph
is being built (create_graph) the gradients are written with ember ops from the saved inputs, so
they are differentiable again. Half-precision inputs are computed in float32."""
__all__ = ["lstm_cell", "gru_cell", "rnn_tanh_cell", "rnn_relu_cell"]

from .._factory import zeros_like
from .._tensor import Tensor
from ..autograd import grad_mode as _grad_mode
from ._op import Op
from .linalg import Addmm
from .movement import cat

_wrap = Tensor._wrap
_grad_enabled = _grad_mode._enabled


def _work(a):
    """Half precision is computed in float32 (as PyTorch's CPU kernels accumulate)."""
    return a.astype("float32") if a.dtype.itemsize == 2 else a


def _sigmoid(xp, x, out):
    """out = 1 / (1 + exp(-x)); exp overflows to inf for very negative x, which gives the exact 0."""
    xp.negative(x, out=out)
    xp.exp(out, out=out)
    out += 1
    return xp.divide(1, out, out=out)


def _blocks(a, k):
    """The k column blocks of a (N, k*H) array as a (k, N, H) view (one strided pass reads it;
    what is written from it is contiguous per block, which the later small ops run faster on)."""
    N = a.shape[0]
    return a.reshape(N, k, a.shape[1] // k).transpose(1, 0, 2)


def _check_gates(gates, state, k, name):
    if gates.ndim != 2 or state.ndim != 2 or gates.shape != (state.shape[0], k * state.shape[1]):
        raise RuntimeError(f"{name}: expected gates of shape (N, {k} * H) for a state of shape (N, H), got "
                           f"{list(gates.shape)} and {list(state.shape)}")


class FusedLstmCell(Op):
    """(gates, c_prev) -> (h, c). Saved: the activated gates (i, f, g, o) as (4, N, H), c_prev and
    tanh(c); the raw gates too, for the differentiable backward."""
    _name = "ThnnFusedLstmCellBackward0"

    def _materialize(self, grads):
        return grads        # backward handles a missing dh or dc itself: no zeros are made

    def forward(ctx, gates, c_prev):
        xp = ctx.xp
        _check_gates(gates, c_prev, 4, "lstm_cell")
        G, c0 = _work(gates), _work(c_prev)
        G4 = _blocks(G, 4)
        act = _sigmoid(xp, G4, xp.empty(G4.shape, dtype=G.dtype))     # g's block is replaced next
        xp.tanh(G4[2], out=act[2])
        i, f, g, o = act
        c = xp.multiply(f, c0)
        c += xp.multiply(i, g)
        tc = xp.tanh(c)
        h = xp.multiply(o, tc)
        if ctx._needs is not None:
            ctx.save_for_backward(gates, c_prev, act, tc)
        return h.astype(gates.dtype, copy=False), c.astype(c_prev.dtype, copy=False)

    def backward(ctx, dh, dc):
        gates, c_prev, act, tc = ctx.saved_tensors
        if dh is None and dc is None:
            return None, None
        if not _grad_enabled[0]:
            return _lstm_backward_arrays(ctx, dh, dc, c_prev, act, tc)
        n = ctx._needs
        ig, fg, gg, og = gates.chunk(4, 1)
        i, f, o, g = ig.sigmoid(), fg.sigmoid(), og.sigmoid(), gg.tanh()
        tcell = (f * c_prev + i * g).tanh()
        dcell = dc
        if dh is not None:
            dcell = dh * o * (1 - tcell * tcell) if dc is None else dc + dh * o * (1 - tcell * tcell)
        d_gates = None
        if n[0]:
            d_o = dh * tcell * o * (1 - o) if dh is not None else zeros_like(og)
            d_gates = cat([dcell * g * i * (1 - i), dcell * c_prev * f * (1 - f), dcell * i * (1 - g * g), d_o], 1)
        return d_gates, (dcell * f if n[1] else None)


def _lstm_backward_arrays(ctx, dh, dc, c_prev, act, tc):
    """d gates = [dcell g i(1-i), dcell c_prev f(1-f), dcell i (1-g^2), dh tanh(c) o(1-o)],
    d c_prev = dcell f, with dcell = dc + dh o (1 - tanh(c)^2)."""
    xp = ctx.xp
    n = ctx._needs
    a, t = act._data, tc._data
    dev = act._device
    i, f, g, o = a
    dha = None if dh is None else _work(dh._data)
    if dha is not None:
        dcell = xp.multiply(t, t)
        xp.subtract(1, dcell, out=dcell)
        dcell *= o
        dcell *= dha
        if dc is not None:
            dcell += _work(dc._data)
    else:
        dcell = _work(dc._data)
    d_gates = d_prev = None
    if n[0]:
        coef = xp.empty(a.shape, dtype=a.dtype)       # the factor before each activation's derivative
        xp.multiply(dcell, g, out=coef[0])
        xp.multiply(dcell, _work(c_prev._data), out=coef[1])
        xp.multiply(dcell, i, out=coef[2])
        if dha is not None:
            xp.multiply(dha, t, out=coef[3])
        else:
            coef[3] = 0
        deriv = xp.multiply(a, a)                     # s - s^2 for the sigmoids, 1 - g^2 for the tanh
        xp.subtract(a, deriv, out=deriv)
        xp.multiply(g, g, out=deriv[2])
        xp.subtract(1, deriv[2], out=deriv[2])
        N, H = t.shape
        d_gates = xp.empty((N, 4 * H), dtype=a.dtype)
        xp.multiply(coef, deriv, out=_blocks(d_gates, 4))
        d_gates = _wrap(d_gates, dev)
    if n[1]:
        d_prev = _wrap(xp.multiply(dcell, f), dev)
    return d_gates, d_prev


class FusedGruCell(Op):
    """(gi, gh, h_prev) -> h. Saved: the activations (r, z, n) as (3, N, H), gh (its n block scales
    r's gradient) and h_prev; gi too, for the differentiable backward."""
    _name = "ThnnFusedGruCellBackward0"

    def forward(ctx, gi, gh, h_prev):
        xp = ctx.xp
        _check_gates(gi, h_prev, 3, "gru_cell")
        _check_gates(gh, h_prev, 3, "gru_cell")
        I3, H3, h0 = _blocks(_work(gi), 3), _blocks(_work(gh), 3), _work(h_prev)
        act = xp.empty(I3.shape, dtype=h0.dtype)
        rz = act[:2]
        xp.add(I3[:2], H3[:2], out=rz)
        _sigmoid(xp, rz, rz)
        r, z, n = act
        xp.multiply(r, H3[2], out=n)
        n += I3[2]
        xp.tanh(n, out=n)
        h = xp.subtract(h0, n)
        h *= z
        h += n
        if ctx._needs is not None:
            ctx.save_for_backward(gi, gh, h_prev, act)
        return h.astype(h_prev.dtype, copy=False)

    def backward(ctx, dh):
        gi, gh, h_prev, act = ctx.saved_tensors
        nd = ctx._needs
        if not _grad_enabled[0]:
            return _gru_backward_arrays(ctx, dh, gh, h_prev, act)
        ir, iz, in_ = gi.chunk(3, 1)
        hr, hz, hn = gh.chunk(3, 1)
        r, z = (ir + hr).sigmoid(), (iz + hz).sigmoid()
        n = (in_ + r * hn).tanh()
        d_n = dh * (1 - z) * (1 - n * n)
        d_z = dh * (h_prev - n) * z * (1 - z)
        d_r = d_n * hn * r * (1 - r)
        return (cat([d_r, d_z, d_n], 1) if nd[0] else None,
                cat([d_r, d_z, d_n * r], 1) if nd[1] else None,
                dh * z if nd[2] else None)


def _gru_backward_arrays(ctx, dh, gh, h_prev, act):
    """d gi = [d_r, d_z, d_n], d gh = [d_r, d_z, d_n r], d h_prev = dh z with
    d_n = dh (1-z)(1-n^2), d_z = dh (h_prev - n) z(1-z), d_r = d_n gh_n r(1-r)."""
    xp = ctx.xp
    nd = ctx._needs
    a = act._data
    dev = act._device
    r, z, n = a
    g = _work(dh._data)
    d = xp.empty(a.shape, dtype=a.dtype)
    d_r, d_z, d_n = d
    deriv = xp.multiply(a, a)                         # s - s^2 for r and z, 1 - n^2 for n
    xp.subtract(a[:2], deriv[:2], out=deriv[:2])
    xp.subtract(1, deriv[2], out=deriv[2])
    xp.subtract(1, z, out=d_n)
    d_n *= g
    d_n *= deriv[2]
    xp.subtract(_work(h_prev._data), n, out=d_z)
    d_z *= g
    d_z *= deriv[1]
    xp.multiply(d_n, _blocks(_work(gh._data), 3)[2], out=d_r)
    d_r *= deriv[0]
    N, H = g.shape
    d_gi = d_gh = None
    if nd[1]:
        d_gh = xp.empty((N, 3 * H), dtype=a.dtype)
        gh3 = _blocks(d_gh, 3)
        gh3[:2] = d[:2]
        xp.multiply(d_n, r, out=gh3[2])
        d_gh = _wrap(d_gh, dev)
    if nd[0]:
        d_gi = xp.empty((N, 3 * H), dtype=a.dtype)
        _blocks(d_gi, 3)[...] = d
        d_gi = _wrap(d_gi, dev)
    return d_gi, d_gh, (_wrap(xp.multiply(g, z), dev) if nd[2] else None)


# ---- torch's functional cells ----------------------------------------------------------------
def _gates(input, hx, w_ih, w_hh, b_ih, b_hh):
    """input W_ih^T + b_ih + hx W_hh^T + b_hh as two addmms (the first one's result is the
    second one's bias)."""
    if b_ih is not None:
        x = Addmm.apply(b_ih, input, w_ih, wt=True)
    else:
        x = input @ w_ih.t()
    if b_hh is not None:
        x = x + b_hh
    return Addmm.apply(x, hx, w_hh, wt=True)


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """torch.lstm_cell: one LSTM step; hx = (h, c); returns (h', c')."""
    h, c = hx
    return FusedLstmCell.apply(_gates(input, h, w_ih, w_hh, b_ih, b_hh), c)


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """torch.gru_cell: one GRU step (r multiplies hx W_hn^T + b_hn); returns h'."""
    gi = Addmm.apply(b_ih, input, w_ih, wt=True) if b_ih is not None else input @ w_ih.t()
    gh = Addmm.apply(b_hh, hx, w_hh, wt=True) if b_hh is not None else hx @ w_hh.t()
    return FusedGruCell.apply(gi, gh, hx)


def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """torch.rnn_tanh_cell: tanh(input W_ih^T + b_ih + hx W_hh^T + b_hh)."""
    return _gates(input, hx, w_ih, w_hh, b_ih, b_hh).tanh()


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """torch.rnn_relu_cell: relu(input W_ih^T + b_ih + hx W_hh^T + b_hh)."""
    return _gates(input, hx, w_ih, w_hh, b_ih, b_hh).relu()
