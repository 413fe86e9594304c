import ember.nn.functional as F


def nll_loss(output, target):
    """Negative log-likelihood of log-probabilities (the model ends in log_softmax)."""
    return F.nll_loss(output, target)
