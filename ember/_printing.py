"""set_printoptions / get_printoptions (used by _tensor_str)."""
import builtins

PRINT_OPTS = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}
_PROFILES = {
    "default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
    "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": dict(precision=4, threshold=builtins.float("inf"), edgeitems=3, linewidth=80),
}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    if profile is not None:
        PRINT_OPTS.update(_PROFILES.get(profile, {}))   # torch ignores unknown profiles
    if precision is not None:
        PRINT_OPTS["precision"] = precision
    if threshold is not None:
        PRINT_OPTS["threshold"] = threshold
    if edgeitems is not None:
        PRINT_OPTS["edgeitems"] = edgeitems
    if linewidth is not None:
        PRINT_OPTS["linewidth"] = linewidth
    PRINT_OPTS["sci_mode"] = sci_mode


def get_printoptions():
    return dict(PRINT_OPTS)
