"""Host memory: keep glibc from handing freed array memory back to the OS between steps.

A training step allocates and frees the same large arrays (activations, im2col columns,
gradients) every iteration. glibc's default policy trims the top of the heap whenever enough of it
is free and adapts its mmap threshold to the process's history, so depending on what ran before,
every step may re-fault megabytes of fresh zeroed pages (measured: ~2,000 page faults and +4 ms
per LeNet-5 step). Fixing the thresholds keeps up to `TRIM` bytes of freed heap for reuse; arrays
above `MMAP` bytes still get their own mapping and go back to the OS when freed.

Only on glibc, only when the user has not set MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_
themselves, and not with EMBER_KEEP_MALLOC=1.
"""
import os
import sys

MMAP = 32 << 20
TRIM = 128 << 20
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


def tune():
    """Apply the thresholds; returns True when they were set."""
    if not sys.platform.startswith("linux") or os.environ.get("EMBER_KEEP_MALLOC") == "1":
        return False
    if "MALLOC_MMAP_THRESHOLD_" in os.environ or "MALLOC_TRIM_THRESHOLD_" in os.environ:
        return False
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc"):
            return False
    except (ValueError, OSError):
        return False
    import ctypes
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM))
