"""Recurrent layers: RNN, LSTM, GRU and their cells (torch.nn.RNN ...).

Everything is written with differentiable ember ops, so autograd (create_graph included) needs
nothing extra. The layers work on a time-major "flat" layout: the input steps of all sequences
stacked as rows, (sum of batch sizes, features), which is both the PackedSequence layout and a
padded (T, B, F) input reshaped to (T * B, F). Per layer and direction:
  - the input projection of every step is one GEMM (x W_ih^T + b_ih [+ b_hh]) over all rows, split
    into per-step pieces by one op;
  - the time loop does only the hidden part: one addmm against W_hh (with the step's projection as
    its bias) and the gate arithmetic, one fused op for LSTM and GRU (ember/_ops/recurrent.py);
  - the per-step hidden states are concatenated once, which gives the next layer's input (and the
    output) in the same flat layout.
Packed batches are sorted by decreasing length, so at each step the active sequences are a prefix
of the batch: the forward direction drops finished rows (keeping them as their h_n), the reverse
direction adds rows (from h_0) as sequences start.

Gate layouts are torch's: LSTM rows (i, f, g, o), GRU rows (r, z, n) with
n = tanh(W_in x + b_in + r * (W_hn h + b_hn)) and h' = (1 - z) * n + z * h."""
import math
import numbers
import warnings

import ember

from ..._ops.linalg import Addmm
from ..._ops.recurrent import FusedGruCell, FusedLstmCell
from .. import init
from ..parameter import Parameter
from .module import Module
from .utils import F

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_PackedSequence = None


def _packed_cls():
    global _PackedSequence
    if _PackedSequence is None:
        from ..utils.rnn import PackedSequence
        _PackedSequence = PackedSequence
    return _PackedSequence


_LEGACY = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16"}


def _legacy(dtype):
    return _LEGACY.get(dtype.name if hasattr(dtype, "name") else str(dtype).split(".")[-1], str(dtype))


# ---- one step of each cell type, on 2-D (batch, features) tensors -----------------------------
# `x` is the step's input projection, already including b_ih (and, for RNN / LSTM, b_hh).

def _rnn_step(x, h, w_hh, relu):
    pre = Addmm.apply(x, h, w_hh, wt=True)
    return pre.relu() if relu else pre.tanh()


def _lstm_step(x, h, c, w_hh, w_hr_t):
    h, c = FusedLstmCell.apply(Addmm.apply(x, h, w_hh, wt=True), c)
    if w_hr_t is not None:
        h = h @ w_hr_t
    return h, c


def _gru_step(x, h, w_hh, b_hh, w_hh_t=None):
    # x: the step's input projection with b_ih only (b_hh goes with the hidden part, which r scales)
    # without a bias: h @ W_hh^T with the transposed weight made once per sequence (w_hh_t)
    if b_hh is not None:
        gh = Addmm.apply(b_hh, h, w_hh, wt=True)
    else:
        gh = h @ (w_hh_t if w_hh_t is not None else w_hh.t())
    return FusedGruCell.apply(x, gh, h)


# ---- multi-layer modules ---------------------------------------------------------------------
class RNNBase(Module):
    """Shared machinery of RNN, LSTM and GRU: parameters, checks and the layer/time loops."""

    __constants__ = ["mode", "input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout",
                     "bidirectional", "proj_size"]

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout) if isinstance(dropout, numbers.Number) and not isinstance(dropout, bool) \
            else dropout
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        num_directions = 2 if bidirectional else 1

        if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1):
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             "element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                          stacklevel=3)
        if not isinstance(input_size, int):
            raise TypeError(f"input_size should be of type int, got: {type(input_size).__name__}")
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")

        if mode == "LSTM":
            gate_size = 4 * hidden_size
        elif mode == "GRU":
            gate_size = 3 * hidden_size
        elif mode in ("RNN_TANH", "RNN_RELU"):
            gate_size = hidden_size
        else:
            raise ValueError("Unrecognized RNN mode: " + mode)

        real_hidden = proj_size if proj_size > 0 else hidden_size
        kw = {"device": device, "dtype": dtype}
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_in = input_size if layer == 0 else real_hidden * num_directions
                suffix = "_reverse" if direction == 1 else ""
                params = [("weight_ih_l{}{}", (gate_size, layer_in)), ("weight_hh_l{}{}", (gate_size, real_hidden))]
                if bias:
                    params += [("bias_ih_l{}{}", (gate_size,)), ("bias_hh_l{}{}", (gate_size,))]
                if proj_size > 0:
                    params.append(("weight_hr_l{}{}", (proj_size, hidden_size)))
                names = []
                for fmt, shape in params:
                    name = fmt.format(layer, suffix)
                    setattr(self, name, Parameter(ember.empty(shape, **kw)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    # ---- parameters ------------------------------------------------------------------------
    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    @property
    def _flat_weights(self):
        return [getattr(self, name, None) for name in self._flat_weights_names]

    @property
    def all_weights(self):
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def flatten_parameters(self):
        """A no-op: ember keeps no fused weight buffer to compact."""

    def _init_flat_weights(self):
        pass

    def _update_flat_weights(self):
        pass

    def _weights_have_changed(self):
        return False

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    def __setstate__(self, state):
        super().__setstate__(state)
        self.__dict__.setdefault("proj_size", 0)

    # ---- checks ----------------------------------------------------------------------------
    def check_input(self, input, batch_sizes):
        w = getattr(self, self._flat_weights_names[0])
        if input.dtype != w.dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype ({w.dtype}). Convert "
                             f"input: input.to({w.dtype}), or convert model: model.to({input.dtype})")
        expected_input_dim = 2 if batch_sizes is not None else 3
        if input.dim() != expected_input_dim:
            raise RuntimeError(f"input must have {expected_input_dim} dimensions, got {input.dim()}")
        if self.input_size != input.shape[-1]:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                               f"got {input.shape[-1]}")

    def get_expected_hidden_size(self, input, batch_sizes):
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.shape[0] if self.batch_first else input.shape[1]
        num_directions = 2 if self.bidirectional else 1
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * num_directions, mini_batch, real_hidden)

    def check_hidden_size(self, hx, expected_hidden_size, msg="Expected hidden size {}, got {}"):
        if tuple(hx.shape) != tuple(expected_hidden_size):
            raise RuntimeError(msg.format(expected_hidden_size, list(hx.shape)))

    def check_forward_args(self, input, hidden, batch_sizes):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return hx.index_select(1, permutation)

    # ---- forward ---------------------------------------------------------------------------
    def _prepare(self, input, hx):
        """Common input handling: returns (flat input, batch_sizes list or None, T, B, hx, unbatched,
        sorted_indices, unsorted_indices). hx is None or a tuple of (L*D, B, H) tensors."""
        lstm = self.mode == "LSTM"
        if isinstance(input, _packed_cls()):
            data, batch_sizes, sorted_indices, unsorted_indices = input
            if hx is not None:
                hx = (tuple(self.permute_hidden(h, sorted_indices) for h in hx) if lstm
                      else (self.permute_hidden(hx, sorted_indices),))
            hx = self._check(data, hx, batch_sizes)
            sizes = [int(b) for b in batch_sizes.tolist()]
            return data, sizes, len(sizes), (sizes[0] if sizes else 0), hx, False, sorted_indices, unsorted_indices
        name = self._get_name()
        if input.dim() not in (2, 3):
            tail = " tensor" if self.mode.startswith("RNN") else ""
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D{tail} instead")
        batched = input.dim() == 3
        batch_dim = 0 if self.batch_first else 1
        if hx is not None:
            if lstm:
                h0, c0 = hx[0], hx[1]
                want = 3 if batched else 2
                if h0.dim() != want or c0.dim() != want:
                    kind = "batched 3-D" if batched else "unbatched 2-D"
                    raise RuntimeError(f"For {kind} input, hx and cx should also be {want}-D but got "
                                       f"({h0.dim()}-D, {c0.dim()}-D) tensors")
                hx = (h0, c0) if batched else (h0.unsqueeze(1), c0.unsqueeze(1))
            else:
                want = 3 if batched else 2
                if hx.dim() != want:
                    kind = "batched 3-D" if batched else "unbatched 2-D"
                    raise RuntimeError(f"For {kind} input, hx should also be {want}-D but got {hx.dim()}-D tensor")
                hx = (hx if batched else hx.unsqueeze(1),)
        if not batched:
            input = input.unsqueeze(batch_dim)
        hx = self._check(input, hx, None)
        if self.batch_first:
            B, T = input.shape[0], input.shape[1]
            flat = input.transpose(0, 1).reshape(T * B, input.shape[2])
        else:
            T, B = input.shape[0], input.shape[1]
            flat = input.reshape(T * B, input.shape[2])
        if T == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        return flat, None, T, B, hx, not batched, None, None

    def _check(self, input, hx, batch_sizes):
        self.check_input(input, batch_sizes)
        if hx is None:
            return None
        expected = self.get_expected_hidden_size(input, batch_sizes)
        if self.mode == "LSTM":
            self.check_hidden_size(hx[0], expected, "Expected hidden[0] size {}, got {}")
            self.check_hidden_size(hx[1], self.get_expected_cell_size(input, batch_sizes),
                                   "Expected hidden[1] size {}, got {}")
        else:
            self.check_hidden_size(hx[0], expected)
        return hx

    def get_expected_cell_size(self, input, batch_sizes):
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.shape[0] if self.batch_first else input.shape[1]
        num_directions = 2 if self.bidirectional else 1
        return (self.num_layers * num_directions, mini_batch, self.hidden_size)

    def _run(self, x, sizes, T, B, hx):
        """The stacked layers on the flat input x: returns (flat output, h_n, c_n or None)."""
        mode = self.mode
        lstm = mode == "LSTM"
        gru = mode == "GRU"
        relu = mode == "RNN_RELU"
        H = self.hidden_size
        P = self.proj_size if self.proj_size > 0 else H
        D = 2 if self.bidirectional else 1
        L = self.num_layers
        dev, dtype = x.device, x.dtype
        h0s = hx[0].unbind(0) if hx is not None else None
        c0s = hx[1].unbind(0) if hx is not None and lstm else None
        split_sizes = sizes if sizes is not None else B
        drop = self.dropout if self.training else 0.0
        has_bias = self.bias
        h_n, c_n = [], []
        for layer in range(L):
            outs = []
            for d in range(D):
                k = layer * D + d
                ws = [getattr(self, n) for n in self._all_weights[k]]
                w_ih, w_hh = ws[0], ws[1]
                b_ih, b_hh = (ws[2], ws[3]) if has_bias else (None, None)
                w_hr = ws[-1] if self.proj_size > 0 else None
                if h0s is not None:
                    h = h0s[k]
                    c = c0s[k] if lstm else None
                else:
                    h = ember.zeros((B, P), dtype=dtype, device=dev)
                    c = ember.zeros((B, H), dtype=dtype, device=dev) if lstm else None
                if gru:
                    steps = F.linear(x, w_ih, b_ih).split(split_sizes, 0)
                    w_hh_t = w_hh.t() if b_hh is None else None
                    step = (lambda xs, h, c, w_hh=w_hh, b_hh=b_hh, w_hh_t=w_hh_t:
                            (_gru_step(xs, h, w_hh, b_hh, w_hh_t), None))
                else:
                    b = b_ih + b_hh if has_bias else None
                    xw = F.linear(x, w_ih, b)
                    steps = xw.split(split_sizes, 0)
                    if lstm:
                        w_hr_t = w_hr.t() if w_hr is not None else None
                        step = (lambda xs, h, c, w_hh=w_hh, w_hr_t=w_hr_t: _lstm_step(xs, h, c, w_hh, w_hr_t))
                    else:
                        step = (lambda xs, h, c, w_hh=w_hh: (_rnn_step(xs, h, w_hh, relu), None))
                out, h, c = _direction(step, steps, sizes, h, c, d == 1)
                outs.append(out)
                h_n.append(h)
                if lstm:
                    c_n.append(c)
            x = outs[0] if D == 1 else ember.cat(outs, 1)
            if drop > 0 and layer < L - 1:
                x = F.dropout(x, drop, True)
        return x, ember.stack(h_n, 0), (ember.stack(c_n, 0) if lstm else None)

    def forward(self, input, hx=None):
        packed = isinstance(input, _packed_cls())
        x, sizes, T, B, hx, unbatched, sorted_indices, unsorted_indices = self._prepare(input, hx)
        out, h_n, c_n = self._run(x, sizes, T, B, hx)
        if packed:
            h_n = self.permute_hidden(h_n, unsorted_indices)
            if c_n is not None:
                c_n = self.permute_hidden(c_n, unsorted_indices)
            output = _packed_cls()(out, input.batch_sizes, sorted_indices, unsorted_indices)
        else:
            output = out.reshape(T, B, out.shape[1])
            if self.batch_first:
                output = output.transpose(0, 1)
            if unbatched:
                output = output.squeeze(0 if self.batch_first else 1)
                h_n = h_n.squeeze(1)
                if c_n is not None:
                    c_n = c_n.squeeze(1)
        if self.mode == "LSTM":
            return output, (h_n, c_n)
        return output, h_n


def _direction(step, steps, sizes, h, c, reverse):
    """Runs one direction of one layer over the per-step input projections `steps` (time order).
    sizes: the per-step batch sizes of a packed batch (decreasing), or None when constant.
    Returns (flat output in time order, h_n, c_n)."""
    T = len(steps)
    outs = [None] * T
    if sizes is None or sizes[0] == sizes[-1]:
        for t in (range(T - 1, -1, -1) if reverse else range(T)):
            h, c = step(steps[t], h, c)
            outs[t] = h
        return ember.cat(outs, 0), h, c
    if not reverse:
        # sequences end over time: rows past the new batch size are final and leave the loop
        done_h, done_c = [], []
        cur = sizes[0]
        for t in range(T):
            bs = sizes[t]
            if bs != cur:
                done_h.append(h[bs:cur])
                h = h[:bs]
                if c is not None:
                    done_c.append(c[bs:cur])
                    c = c[:bs]
                cur = bs
            h, c = step(steps[t], h, c)
            outs[t] = h
        h_n = ember.cat([h] + done_h[::-1], 0)
        c_n = ember.cat([c] + done_c[::-1], 0) if c is not None else None
        return ember.cat(outs, 0), h_n, c_n
    # reverse: sequences start over (reversed) time, their initial state taken from h_0
    h_full, c_full = h, c
    cur = sizes[-1]
    h = h_full[:cur]
    c = c_full[:cur] if c_full is not None else None
    for t in range(T - 1, -1, -1):
        bs = sizes[t]
        if bs != cur:
            h = ember.cat([h, h_full[cur:bs]], 0)
            if c is not None:
                c = ember.cat([c, c_full[cur:bs]], 0)
            cur = bs
        h, c = step(steps[t], h, c)
        outs[t] = h
    return ember.cat(outs, 0), h, c


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu).

    RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True, batch_first=False,
    dropout=0.0, bidirectional=False, device=None, dtype=None)."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, *args, **kwargs)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory: gates i, f, g, o; c_t = f c_{t-1} + i g, h_t = o tanh(c_t) (then
    h_t W_hr^T with proj_size > 0). Returns (output, (h_n, c_n)).

    LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False, proj_size=0, device=None, dtype=None)."""

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """Gated recurrent unit: r, z = sigmoid(...), n = tanh(W_in x + b_in + r (W_hn h + b_hn)),
    h_t = (1 - z) n + z h_{t-1}.

    GRU(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False, device=None, dtype=None)."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


# ---- cells -----------------------------------------------------------------------------------
class RNNCellBase(Module):
    """Parameters weight_ih (chunks * hidden, input), weight_hh (chunks * hidden, hidden), bias_ih,
    bias_hh; all initialised uniform(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""

    __constants__ = ["input_size", "hidden_size", "bias"]

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        kw = {"device": device, "dtype": dtype}
        self.weight_ih = Parameter(ember.empty((num_chunks * hidden_size, input_size), **kw))
        self.weight_hh = Parameter(ember.empty((num_chunks * hidden_size, hidden_size), **kw))
        if bias:
            self.bias_ih = Parameter(ember.empty(num_chunks * hidden_size, **kw))
            self.bias_hh = Parameter(ember.empty(num_chunks * hidden_size, **kw))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    # the checks of torch's cell kernels, on 2-D input / hidden
    def _check_input(self, input):
        if input.shape[1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[1]} expected {self.input_size}")
        w = self.weight_ih
        if input.dtype != w.dtype:
            raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {_legacy(input.dtype)} and "
                               f"{_legacy(w.dtype)}")

    def _check_hidden(self, input, hx, k):
        if input.shape[0] != hx.shape[0]:
            raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match hidden{k} batch size {hx.shape[0]}")
        if hx.shape[1] != self.hidden_size:
            raise RuntimeError(f"hidden{k} has inconsistent hidden_size: got {hx.shape[1]}, expected "
                               f"{self.hidden_size}")
        if hx.dtype != input.dtype:
            raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {_legacy(hx.dtype)} and "
                               f"{_legacy(self.weight_hh.dtype)}")

    def _input_and_hidden(self, input, hx, name):
        """Dimension checks; returns (2-D input, 2-D hx or None, batched)."""
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if hx is not None and hx.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected hidden to be 1D or 2D, got {hx.dim()}D instead")
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
            if hx is not None:
                hx = hx.unsqueeze(0)
        return input, hx, batched

    def _zeros(self, input):
        return ember.zeros((input.shape[0], self.hidden_size), dtype=input.dtype, device=input.device)


class RNNCell(RNNCellBase):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu)."""

    __constants__ = ["input_size", "hidden_size", "bias", "nonlinearity"]

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        input, hx, batched = self._input_and_hidden(input, hx, "RNNCell")
        self._check_input(input)
        if hx is None:
            hx = self._zeros(input)
        else:
            self._check_hidden(input, hx, 0)
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        b = self.bias_ih + self.bias_hh if self.bias else None
        h = _rnn_step(F.linear(input, self.weight_ih, b), hx, self.weight_hh, self.nonlinearity == "relu")
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step; forward(input, (h, c)=None) returns (h', c')."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        if input.dim() not in (1, 2):
            raise ValueError(f"LSTMCell: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if hx is not None:
            if isinstance(hx, ember.Tensor):
                raise TypeError("lstm_cell(): argument 'hx' (position 2) must be tuple of Tensors, not Tensor")
            hx = tuple(hx)
            for i, t in enumerate(hx[:2]):
                if t.dim() not in (1, 2):
                    raise ValueError(f"LSTMCell: Expected hx[{i}] to be 1D or 2D, got {t.dim()}D instead")
            if len(hx) != 2:
                raise RuntimeError("lstm_cell expects two hidden states")
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
            if hx is not None:
                hx = (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
        self._check_input(input)
        if hx is None:
            h = c = self._zeros(input)
        else:
            h, c = hx
            self._check_hidden(input, h, 0)
            self._check_hidden(input, c, 1)
        b = self.bias_ih + self.bias_hh if self.bias else None
        h, c = _lstm_step(F.linear(input, self.weight_ih, b), h, c, self.weight_hh, None)
        if not batched:
            return h.squeeze(0), c.squeeze(0)
        return h, c


class GRUCell(RNNCellBase):
    """One GRU step (torch's formula: r multiplies W_hn h + b_hn)."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        input, hx, batched = self._input_and_hidden(input, hx, "GRUCell")
        self._check_input(input)
        if hx is None:
            hx = self._zeros(input)
        else:
            self._check_hidden(input, hx, 0)
        h = _gru_step(F.linear(input, self.weight_ih, self.bias_ih), hx, self.weight_hh, self.bias_hh)
        return h if batched else h.squeeze(0)
