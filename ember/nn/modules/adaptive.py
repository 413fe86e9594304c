"""AdaptiveLogSoftmaxWithLoss (torch.nn.AdaptiveLogSoftmaxWithLoss).

The adaptive softmax of Grave et al. (2016): the most frequent classes (the "shortlist") are scored directly by
a ``head`` Linear, which also emits one logit per tail cluster; each rarer class lives in a cluster whose
log-probability is ``log p(cluster | x) + log p(class | cluster, x)``, the second term coming from a small
two-layer projection in ``tail``.  Every computation goes through differentiable ember ops, so autograd
reaches the input and all parameters.
"""
from collections import namedtuple

import ember

from .container import ModuleList, Sequential
from .linear import Linear
from .module import Module
from .utils import F

__all__ = ["AdaptiveLogSoftmaxWithLoss"]

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


def _check_cutoffs(cutoffs, n_classes):
    if len(cutoffs) == 0:
        raise ValueError("cutoffs should be a sequence of length larger than 0")
    bad = (cutoffs != sorted(cutoffs) or min(cutoffs) <= 0 or max(cutoffs) > n_classes - 1
           or len(set(cutoffs)) != len(cutoffs) or any(int(c) != c for c in cutoffs))
    if bad:
        raise ValueError("cutoffs should be a sequence of unique, positive integers sorted in an increasing order, "
                         "where each value is between 1 and n_classes-1")


class AdaptiveLogSoftmaxWithLoss(Module):
    """Efficient softmax approximation for large, Zipf-distributed label sets.

    ``cutoffs`` splits the labels ``0 .. n_classes-1`` into a shortlist ``[0, cutoffs[0])`` handled by the
    head and clusters ``[cutoffs[i], cutoffs[i+1])`` (the last one ending at ``n_classes``).  Cluster ``i``
    (counting from 1) projects the input to ``floor(in_features / div_value**i)`` features before scoring
    its labels.  Labels are expected to be sorted by decreasing frequency.

    ``forward(input, target)`` returns a named tuple ``(output, loss)``: the log-probability of each target
    (shape ``(N,)``, or ``()`` for an unbatched input) and the mean negative log-likelihood.
    ``log_prob(input)`` gives the full ``(N, n_classes)`` log-distribution and ``predict(input)`` its argmax.
    """

    def __init__(self, in_features, n_classes, cutoffs, div_value=4.0, head_bias=False, device=None, dtype=None):
        factory = {"device": device, "dtype": dtype}
        super().__init__()
        cutoffs = list(cutoffs)
        _check_cutoffs(cutoffs, n_classes)

        self.in_features = in_features
        self.n_classes = n_classes
        self.cutoffs = cutoffs + [n_classes]
        self.div_value = div_value
        self.head_bias = head_bias

        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters

        self.head = Linear(self.in_features, self.head_size, bias=self.head_bias, **factory)
        self.tail = ModuleList()
        for k in range(1, self.n_clusters + 1):
            hidden = int(self.in_features // (self.div_value ** k))
            n_out = self.cutoffs[k] - self.cutoffs[k - 1]
            self.tail.append(Sequential(Linear(self.in_features, hidden, bias=False, **factory),
                                        Linear(hidden, n_out, bias=False, **factory)))

    def reset_parameters(self):
        self.head.reset_parameters()
        for proj, out in self.tail:
            proj.reset_parameters()
            out.reset_parameters()

    # ---- training objective ------------------------------------------------------------------------------
    def forward(self, input_, target_):
        tdim = target_.dim()
        if tdim == 1:
            if input_.size(0) != target_.size(0):
                raise RuntimeError("Input and target should have the same size in the batch dimension.")
            if input_.dim() != 2:
                raise RuntimeError(f"1D target tensor expects 2D input tensors, but found inputs with size "
                                   f"{input_.size()}")
        elif tdim == 0:
            if input_.dim() != 1:
                raise RuntimeError(f"0D target tensor expects 1D input tensors, but found inputs with size "
                                   f"{input_.size()}")
        else:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")

        batched = tdim > 0
        input = input_ if batched else input_.unsqueeze(0)
        target = target_ if batched else target_.unsqueeze(0)
        n = target.size(0)

        # Per row: which head column to read (the class itself in the shortlist, else its cluster's column),
        # and for rows in a cluster the within-cluster log-probability, placed by index_copy (differentiable).
        head_col = target.new_zeros(n)
        within = input.new_zeros(n)
        covered = 0
        bounds = [0] + self.cutoffs
        for c in range(len(bounds) - 1):
            lo, hi = bounds[c], bounds[c + 1]
            mask = (target >= lo) & (target < hi)
            rows = mask.nonzero().reshape(-1)
            if rows.numel() == 0:
                continue
            covered += rows.numel()
            if c == 0:
                head_col = head_col.index_copy(0, rows, target[mask])
                continue
            head_col = head_col.index_fill(0, rows, self.shortlist_size + c - 1)
            local_target = target[mask] - lo
            scores = self.tail[c - 1](input.index_select(0, rows))
            logp = F.log_softmax(scores, dim=1).gather(1, local_target.unsqueeze(1)).squeeze(1)
            within = within.index_copy(0, rows, logp)

        if covered != n:
            raise RuntimeError(f"Target values should be in [0, {self.n_classes - 1}], but values in range "
                               f"[{target.min().item()}, {target.max().item()}] were found. ")

        head_logp = F.log_softmax(self.head(input), dim=1)
        output = within + head_logp.gather(1, head_col.unsqueeze(1)).squeeze(1)
        loss = (-output).mean()
        if not batched:
            output = output.squeeze(0)
        return _ASMoutput(output, loss)

    # ---- full distribution / prediction ------------------------------------------------------------------
    def _full_log_prob(self, input, head_output):
        head_logp = F.log_softmax(head_output, dim=1)
        pieces = [head_logp[:, :self.shortlist_size]]
        for i, cluster in enumerate(self.tail):
            cluster_logp = F.log_softmax(cluster(input), dim=1)
            pieces.append(cluster_logp + head_logp[:, self.shortlist_size + i].unsqueeze(1))
        return ember.cat(pieces, dim=1)

    def log_prob(self, input):
        """Log-probabilities of all ``n_classes`` classes for a ``(N, in_features)`` input: ``(N, n_classes)``."""
        return self._full_log_prob(input, self.head(input))

    def predict(self, input):
        """The most probable class of each row; equals ``log_prob(input).argmax(dim=1)``, computing the tail
        clusters only for rows whose head argmax is a cluster rather than a shortlist class."""
        head_output = self.head(input)
        best = ember.argmax(head_output, dim=1)
        in_tail = best >= self.shortlist_size
        if not bool(in_tail.any()):
            return best
        if bool(in_tail.all()):
            return ember.argmax(self._full_log_prob(input, head_output), dim=1)
        best[in_tail] = ember.argmax(self._full_log_prob(input[in_tail], head_output[in_tail]), dim=1)
        return best
