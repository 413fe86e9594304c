"""Focal loss (RetinaNet): binary cross-entropy down-weighted on well-classified examples."""
import ember
from ... import nn
from ._utils import _reduce_loss

__all__ = ["sigmoid_focal_loss"]


def sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2, reduction="none"):
    """``BCE(inputs, targets) * (1 - p_t) ** gamma``, weighted by ``alpha`` for positives and
    ``1 - alpha`` for negatives (``alpha = -1``: no weighting); ``inputs`` are logits."""
    if not 0 <= alpha <= 1 and alpha != -1:
        raise ValueError(f"Invalid alpha value: {alpha}. alpha must be in the range [0,1] or -1 for ignore.")
    p = ember.sigmoid(inputs)
    ce_loss = nn.functional.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce_loss * (1 - p_t) ** gamma
    if alpha >= 0:
        loss = (alpha * targets + (1 - alpha) * (1 - targets)) * loss
    return _reduce_loss(loss, reduction, empty_mean_zero=False)
