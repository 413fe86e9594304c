"""Variable-length sequences for the recurrent layers (torch.nn.utils.rnn): PackedSequence and the
pack / pad helpers.

A PackedSequence stores the steps of a batch of sequences sorted by decreasing length, time-major:
the rows of `data` are the first step of every sequence, then the second step of every sequence
that has one, and so on; `batch_sizes[t]` (an int64 CPU tensor) is how many sequences have a step t.
`sorted_indices[j]` is the original batch index of the j-th longest sequence and `unsorted_indices`
its inverse (both None when the input was already sorted).

Every helper here moves values with one gather (`index_select` on a flattened tensor, with a padding
row appended where one is needed), so each is a single differentiable op whatever the batch size.
The index bookkeeping is done on the host with NumPy: lengths always live on the CPU."""
from collections import namedtuple

import numpy as np

import ember
from ..._tensor import Tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "unpad_sequence", "pack_sequence", "unpack_sequence"]


def _index(arr, device):
    """An int64 ember tensor on `device` from a host NumPy index array."""
    t = ember.from_numpy(np.ascontiguousarray(arr, dtype=np.int64))
    return t if device.type == "cpu" else t.to(device)


def invert_permutation(permutation):
    """The inverse of a permutation tensor (None stays None)."""
    if permutation is None:
        return None
    return permutation.argsort()


class PackedSequence(namedtuple("PackedSequence_", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """The packed form of a batch of variable-length sequences (see the module docstring).

    Build it with pack_padded_sequence / pack_sequence rather than by hand. Like torch, the
    constructor also accepts the legacy form PackedSequence((data, batch_sizes))."""

    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:         # legacy: a (data, batch_sizes) pair as the first argument
            data, batch_sizes = data
        if batch_sizes.device.type != "cpu":
            raise ValueError("batch_sizes should always be on CPU. Instances of PackedSequence should never be "
                             "created manually. They should be instantiated by functions like pack_sequence and "
                             "pack_padded_sequences in nn.utils.rnn. "
                             "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence")
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    # ---- conversions: `data` changes, batch_sizes stays on the CPU, the indices follow data's device
    def to(self, *args, **kwargs):
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        dev = data.device
        move = (lambda t: t if t is None or t.device == dev else t.to(dev))
        return type(self)(data, self.batch_sizes, move(self.sorted_indices), move(self.unsorted_indices))

    def cuda(self, *args, **kwargs):
        data = self.data.cuda(*args, **kwargs)
        return self.to(data.device)

    def cpu(self, *args, **kwargs):
        return self.to("cpu")

    def pin_memory(self):
        return self

    def is_pinned(self):
        return self.data.is_pinned()

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def double(self):
        return self.to(dtype=ember.float64)

    def float(self):
        return self.to(dtype=ember.float32)

    def half(self):
        return self.to(dtype=ember.float16)

    def long(self):
        return self.to(dtype=ember.int64)

    def int(self):
        return self.to(dtype=ember.int32)

    def short(self):
        return self.to(dtype=ember.int16)

    def char(self):
        return self.to(dtype=ember.int8)

    def byte(self):
        return self.to(dtype=ember.uint8)


def _host_lengths(lengths):
    if isinstance(lengths, Tensor):
        arr = lengths.detach().cpu().numpy()
    else:
        arr = np.asarray([int(v) if isinstance(v, Tensor) else v for v in lengths] if isinstance(lengths, (list, tuple))
                         else lengths)
    return np.asarray(arr).astype(np.int64).reshape(-1)


def _batch_sizes(sorted_lengths):
    """batch_sizes[t] = number of sequences longer than t, for sorted (decreasing) lengths."""
    if sorted_lengths.size == 0:
        return np.zeros(0, np.int64)
    return (sorted_lengths[None, :] > np.arange(sorted_lengths[0])[:, None]).sum(1).astype(np.int64)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Packs a padded batch (T, B, *) (or (B, T, *) with batch_first) of sequences of the given lengths.

    With enforce_sorted=True the lengths must be in decreasing order; otherwise the batch is sorted
    (stably) and the permutation is recorded in the result."""
    lens = _host_lengths(lengths)
    if enforce_sorted:
        if lens.size > 1 and np.any(lens[1:] > lens[:-1]):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
                               "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to "
                               "sidestep this requirement if you do not need ONNX exportability.")
        order = None
        sorted_lens = lens
    else:
        order = np.argsort(-lens, kind="stable")
        sorted_lens = lens[order]
    shape = tuple(input.shape)
    if len(shape) < 2:
        raise RuntimeError(f"pack_padded_sequence expects an input of at least 2 dimensions, got {len(shape)}")
    T, B = (shape[1], shape[0]) if batch_first else (shape[0], shape[1])
    if lens.size != B:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {lens.size} (batch_size={B})")
    if lens.size and sorted_lens[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' that "
                           "is <= 0")
    if lens.size and sorted_lens[0] > T:
        raise RuntimeError(f"Expected all lengths to be at most the padded sequence length {T}, but got a length of "
                           f"{int(sorted_lens[0])}")
    bs = _batch_sizes(sorted_lens)
    # row j of step t is sequence order[j]; its place in the flattened input
    t_idx = np.repeat(np.arange(bs.size), bs)
    starts = np.concatenate(([0], np.cumsum(bs)[:-1])) if bs.size else bs
    j_idx = np.arange(t_idx.size) - np.repeat(starts, bs)
    b_idx = order[j_idx] if order is not None else j_idx
    flat = b_idx * T + t_idx if batch_first else t_idx * B + b_idx
    src = input.reshape((T * B,) + shape[2:])
    data = src.index_select(0, _index(flat, input.device))
    sorted_indices = None if order is None else _index(order, input.device)
    return PackedSequence(data, ember.from_numpy(bs), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Pads a PackedSequence back to (T, B, *) (or (B, T, *)); returns (padded, lengths), with the batch
    in the original (unsorted) order and lengths an int64 CPU tensor."""
    data, batch_sizes, _, unsorted = sequence
    bs = batch_sizes.detach().cpu().numpy().astype(np.int64).reshape(-1)
    max_len = bs.size
    if total_length is not None:
        if total_length < max_len:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, but "
                             f"got total_length={total_length} and max sequence length being {max_len}")
        T = int(total_length)
    else:
        T = max_len
    B = int(bs[0]) if bs.size else 0
    sorted_lens = (bs[None, :] > np.arange(B)[:, None]).sum(1).astype(np.int64)   # length of sorted seq j
    starts = np.concatenate(([0], np.cumsum(bs)[:-1])).astype(np.int64) if bs.size else bs
    # sorted position of each original batch entry
    pos = unsorted.detach().cpu().numpy().astype(np.int64) if unsorted is not None else np.arange(B)
    S = data.shape[0]
    t = np.arange(T)[:, None]
    j = pos[None, :]
    valid = t < sorted_lens[j]
    starts = np.concatenate((starts, np.zeros(T - max_len, np.int64)))      # steps past the longest: padding
    src = np.where(valid, starts[t] + j, S)                                   # (T, B) rows of data (S: padding)
    if batch_first:
        src = src.T
    feat = tuple(data.shape[1:])
    pad = ember.full((1,) + feat, padding_value, dtype=data.dtype, device=data.device)
    padded = ember.cat([data, pad], 0).index_select(0, _index(src.reshape(-1), data.device))
    padded = padded.reshape(src.shape + feat)
    lengths = ember.from_numpy(np.ascontiguousarray(sorted_lens[pos]))
    return padded, lengths


def _check_trailing(first, seq):
    a, b = tuple(first.shape[1:]), tuple(seq.shape[1:])
    if a == b:
        return
    # the shapes as torch compares them: the padded slot (len, *first trailing) against the sequence
    full_a, full_b = (seq.shape[0],) + a, tuple(seq.shape)
    n = max(len(full_a), len(full_b))
    for k in range(1, n + 1):
        da = full_a[-k] if k <= len(full_a) else 1
        db = full_b[-k] if k <= len(full_b) else 1
        if da != db and db != 1:
            raise RuntimeError(f"The size of tensor a ({da}) must match the size of tensor b ({db}) at non-singleton "
                               f"dimension {n - k}")
    raise RuntimeError(f"pad_sequence expects sequences with the same trailing dimensions, got {list(a)} and "
                       f"{list(b)}")


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stacks sequences of shape (L_i, *) into (T, B, *) (or (B, T, *)), padding to the longest.
    padding_side='left' puts the padding before each sequence."""
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    seqs = list(sequences)
    if not seqs:
        raise RuntimeError("received an empty list of sequences")
    first = seqs[0]
    dtype, dev = first.dtype, first.device
    feat = tuple(first.shape[1:])
    lens = []
    parts = []
    for s in seqs:
        _check_trailing(first, s)
        if s.dtype != dtype:
            s = s.to(dtype)
        lens.append(s.shape[0])
        parts.append(s)
    lens = np.asarray(lens, dtype=np.int64)
    T, B = int(lens.max()), len(seqs)
    starts = np.concatenate(([0], np.cumsum(lens)[:-1])).astype(np.int64)
    S = int(lens.sum())
    t = np.arange(T)[:, None]
    if padding_side == "right":
        local = t + np.zeros((1, B), np.int64)
    else:
        local = t - (T - lens)[None, :]
    valid = (local >= 0) & (local < lens[None, :])
    src = np.where(valid, starts[None, :] + local, S)     # (T, B)
    if batch_first:
        src = src.T
    pad = ember.full((1,) + feat, padding_value, dtype=dtype, device=dev)
    out = ember.cat(parts + [pad], 0).index_select(0, _index(src.reshape(-1), dev))
    return out.reshape(src.shape + feat)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of sequences (L_i, *) of a padded batch: the inverse of pad_sequence."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    lens = _host_lengths(lengths)
    return [padded_sequences[i][:int(n)] for i, n in enumerate(lens)]


def pack_sequence(sequences, enforce_sorted=True):
    """Packs a list of sequences (L_i, *); with enforce_sorted they must be sorted by decreasing length."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of sequences of a PackedSequence, in the original order: the inverse of pack_sequence."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
