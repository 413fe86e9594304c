import os

import ember.train


def setup_logging(save_dir, verbosity=1):
    """Log to the console (0: warnings, 1: info, 2: debug) and to <save_dir>/train.log."""
    return ember.train.setup_logging(os.path.join(save_dir, "train.log"), verbosity)
