"""ember.cuda's memory counters, read from CuPy's default memory pool (where ember's CUDA tensors live).

"Allocated" is what the pool has handed out and not had back (its used bytes), "reserved" what it holds
from CUDA (its total bytes). The pool reports only its current counts, so the peaks need watching: the
first time ember finds CUDA (ember._device._cupy) it makes CuPy allocate through a thin wrapper of the
pool's malloc that raises the peak when an allocation passes it (about 0.3 us more
per allocation on an H100, where CuPy's malloc alone takes about 0.9 us). Reserved bytes only grow between
the pool's `free_all_blocks` calls, so their peak is read at each query, reset and empty_cache, and when
the allocated peak rises; a block freed by CuPy itself (its retry after running out of memory) can hide
a reserved peak. A program that set its own allocator (`cupy.cuda.set_allocator`) keeps it; its peaks
are then the largest counts these functions saw."""
import collections
import warnings

from .._device import _cupy
from . import _device_index, _index, _require, current_device
from . import device as _on_device


class _PeakTracker:
    """Per-device peaks of the default pool's used and reserved bytes since the last reset; `malloc` is
    the allocator to give CuPy (the pool's malloc, noting the counts when the used peak is passed)."""

    def __init__(self, cp):
        self.cp = cp
        self.pool = cp.get_default_memory_pool()
        self.pool_malloc = self.pool.malloc
        self.peaks = {}             # device index -> [peak used bytes, peak reserved bytes]
        self.malloc = self._noting_malloc()

    def _noting_malloc(self):
        pool_malloc, used_bytes, peaks, note = self.pool_malloc, self.pool.used_bytes, self.peaks, self.note

        def malloc_noting_peaks(size):
            mem = pool_malloc(size)
            peak = peaks.get(mem.device_id)     # the pool reports on the current device: the one it used
            if peak is None or used_bytes() > peak[0]:
                note(mem.device_id)
            return mem

        malloc_noting_peaks.tracker = self
        return malloc_noting_peaks

    def note(self, idx):
        """Fold the pool's counts on the current device (index `idx`) into its peaks."""
        used, reserved = self.pool.used_bytes(), self.pool.total_bytes()
        peak = self.peaks.setdefault(idx, [used, reserved])
        peak[0], peak[1] = max(peak[0], used), max(peak[1], reserved)


_tracker = [None]


def _peak_tracker():
    """The tracker for the CuPy in use (None without CUDA); its malloc is made CuPy's allocator while
    CuPy's is still its default pool's malloc."""
    cp = _cupy()
    if cp is None:
        return None
    current = cp.cuda.get_allocator()
    ours = getattr(current, "tracker", None)
    if isinstance(ours, _PeakTracker) and ours.cp is cp:
        _tracker[0] = ours              # installed before ember's CUDA state was last reset
        return ours
    t = _tracker[0]
    if t is None or t.cp is not cp:
        t = _tracker[0] = _PeakTracker(cp)
    if current == t.pool_malloc:
        try:
            cp.cuda.set_allocator(t.malloc)
        except ValueError:              # inside cupy.cuda.using_allocator: the global one cannot change now
            pass
    return t


def _counts(device):
    """(used, reserved, peak used, peak reserved) bytes of the pool on `device`; None without CUDA."""
    t = _peak_tracker()
    if t is None:
        return None
    idx = _device_index(device)
    with _on_device(idx):
        t.note(idx)
        used, reserved = t.pool.used_bytes(), t.pool.total_bytes()
    peak_used, peak_reserved = t.peaks[idx]
    return used, reserved, peak_used, peak_reserved


def _count(device, k):
    """Item k of _counts (0 without CUDA)."""
    c = _counts(device)
    return 0 if c is None else c[k]


def memory_allocated(device=None):
    """Bytes of `device`'s memory in use by tensors (CuPy arrays) now; 0 without CUDA."""
    return _count(device, 0)


def memory_reserved(device=None):
    """Bytes of `device`'s memory the pool holds (in use or cached for reuse); 0 without CUDA."""
    return _count(device, 1)


def max_memory_allocated(device=None):
    """The peak of memory_allocated since the start or the last reset_peak_memory_stats; 0 without CUDA."""
    return _count(device, 2)


def max_memory_reserved(device=None):
    """The peak of memory_reserved since the start or the last reset_peak_memory_stats; 0 without CUDA."""
    return _count(device, 3)


def reset_peak_memory_stats(device=None):
    """Start the peaks of `device` again from the current counts."""
    _require()
    t = _peak_tracker()
    idx = _device_index(device)
    with _on_device(idx):
        t.peaks[idx] = [t.pool.used_bytes(), t.pool.total_bytes()]


def reset_max_memory_allocated(device=None):
    """Deprecated in torch for reset_peak_memory_stats, which it calls (resetting every peak)."""
    warnings.warn("torch.cuda.reset_max_memory_allocated now calls torch.cuda.reset_peak_memory_stats, which "
                  "resets /all/ peak memory stats.", FutureWarning, stacklevel=2)
    reset_peak_memory_stats(device)


def memory_stats(device=None):
    """The counters torch's memory_stats has that CuPy's pool can give, in an OrderedDict sorted by key:
    'allocated_bytes.all.current' / '.peak' and 'reserved_bytes.all.current' / '.peak'; empty without CUDA."""
    c = _counts(device)
    if c is None:
        return collections.OrderedDict()
    used, reserved, peak_used, peak_reserved = c
    return collections.OrderedDict([("allocated_bytes.all.current", used), ("allocated_bytes.all.peak", peak_used),
                                    ("reserved_bytes.all.current", reserved),
                                    ("reserved_bytes.all.peak", peak_reserved)])


def _size(n):
    """A byte count in the largest binary unit that keeps it at least 1 (whole units, torch's style)."""
    for unit in ("B  ", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:6d} {unit}"
        n //= 1024


def memory_summary(device=None, abbreviated=False):
    """A text table of memory_stats (current and peak; `abbreviated` changes nothing: there are no per-pool
    rows to leave out). Without CUDA it raises KeyError, as torch's does."""
    idx = _index(device, optional=True)
    stats = memory_stats(idx)
    rows = [("Allocated memory", "allocated_bytes"), ("GPU reserved memory", "reserved_bytes")]
    rule = "-" * 49
    lines = ["=" * 49, f" ember CUDA memory summary, device ID {idx:<10d}", rule,
             "        Metric         | Cur Usage  | Peak Usage ", rule]
    for name, key in rows:
        lines.append(f" {name:<21} | {_size(stats[key + '.all.current'])} | {_size(stats[key + '.all.peak'])} ")
    lines.append("=" * 49)
    return "".join(f"|{line:<49}|\n" for line in lines)


def empty_cache():
    """Give the pool's cached (unused) blocks of the current device back to CUDA; no-op without CUDA."""
    t = _peak_tracker()
    if t is not None:
        t.note(current_device())                # the reserved peak, before it leaves the pool
        t.pool.free_all_blocks()


def mem_get_info(device=None):
    """(free, total) bytes of `device`'s memory as CUDA sees it (memory the pool caches is not free)."""
    _require()
    with _on_device(_device_index(device)):
        return _cupy().cuda.runtime.memGetInfo()
