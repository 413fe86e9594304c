"""ember.cuda.Stream and Event, and the current-stream functions: thin wrappers over CuPy's streams and
events with torch's API. CuPy launches every kernel on the current stream of the current device, so
`with ember.cuda.stream(s):` sends the work ember does in the block to `s`."""
from .._device import _cupy
from .._device import device as _device
from . import _NO_CUDA, _device_index, _exchange, _require
from . import device as _on_device


class Stream:
    """A CUDA stream of one device (default: the current one); `priority`: lower runs first, clamped by
    CUDA to the device's range. `with s:` makes it the current stream, and its device the current device."""

    def __init__(self, device=None, priority=0):
        cp = _cupy()
        if cp is None:
            raise RuntimeError(f"ember.cuda.Stream requires CUDA support: {_NO_CUDA}")
        idx = _device_index(device)
        with _on_device(idx):                       # CuPy makes a stream on the current device
            self._init(cp.cuda.Stream(priority=priority), idx)

    def _init(self, cp_stream, idx):
        self._cp = cp_stream
        self.device_index = idx
        self._previous_devices = []

    @classmethod
    def _wrap(cls, cp_stream, idx):
        """A Stream for CuPy stream `cp_stream` used on device `idx` (CuPy's null stream belongs to none)."""
        s = object.__new__(cls)
        s._init(cp_stream, idx)
        return s

    @property
    def device(self):
        return _device("cuda", self.device_index)

    @property
    def cuda_stream(self):
        """The cudaStream_t handle as an int (0: the legacy default stream)."""
        return self._cp.ptr

    @property
    def priority(self):
        with _on_device(self.device_index):
            return self._cp.priority

    def query(self):
        """True when all the work queued on the stream has finished."""
        with _on_device(self.device_index):
            return self._cp.done

    def synchronize(self):
        """Wait until all the work queued on the stream has finished."""
        with _on_device(self.device_index):
            self._cp.synchronize()

    def wait_event(self, event):
        """Make work queued on this stream from now on wait for `event` (returns at once)."""
        event.wait(self)

    def wait_stream(self, stream):
        """Make work queued on this stream from now on wait for the work queued on `stream` so far."""
        self.wait_event(stream.record_event())

    def record_event(self, event=None):
        """Record `event` (a new Event if None) on this stream and return it."""
        event = Event() if event is None else event
        event.record(self)
        return event

    def __eq__(self, other):
        if not isinstance(other, Stream):
            return False
        return self.cuda_stream == other.cuda_stream and self.device_index == other.device_index

    def __hash__(self):
        return hash((self.cuda_stream, self.device))

    def __repr__(self):
        return f"<ember.cuda.Stream device={self.device} cuda_stream={self.cuda_stream:#x}>"

    def __cuda_stream__(self):
        """The CUDA stream protocol: (version 0, handle)."""
        return 0, self.cuda_stream

    def __enter__(self):
        previous = _exchange(self.device_index)
        try:
            self._cp.__enter__()
        except BaseException:
            _exchange(previous)
            raise
        self._previous_devices.append(previous)
        return self

    def __exit__(self, *exc):
        self._cp.__exit__(*exc)
        _exchange(self._previous_devices.pop())
        return False


class StreamContext:
    """`with ember.cuda.stream(s):` — `s` is the current stream (and its device the current device) in
    the block, the previous ones after it; a no-op for None or without CUDA, as torch."""

    def __init__(self, stream):
        self.stream = stream
        self._entered = []

    def __enter__(self):
        on = self.stream is not None and _cupy() is not None
        self._entered.append(on)
        if on:
            self.stream.__enter__()

    def __exit__(self, *exc):
        if self._entered.pop():
            self.stream.__exit__(*exc)
        return False


def stream(stream):
    """Context manager making `stream` current for its block (see StreamContext)."""
    return StreamContext(stream)


def set_stream(stream):
    """Make `stream` the current stream, and its device the current device; None: no-op."""
    if stream is None:
        return
    _exchange(stream.device_index)
    stream._cp.use()


def current_stream(device=None):
    """The stream work on `device` (default: the current device) is queued on now."""
    _require()
    idx = _device_index(device)
    return Stream._wrap(_cupy().cuda.get_current_stream(idx), idx)


def default_stream(device=None):
    """The legacy default stream of `device` (cuda_stream 0)."""
    _require()
    return Stream._wrap(_cupy().cuda.Stream.null, _device_index(device))


class Event:
    """A CUDA event: a mark in a stream's work to wait for, synchronize with, or time (`enable_timing`).
    As torch's, the CUDA event is made at the first `record`, on the recording stream's device.
    `external` only matters to CUDA graph capture, which ember does not do."""

    def __init__(self, enable_timing=False, blocking=False, interprocess=False, external=False):
        if _cupy() is None:
            raise RuntimeError(f"ember.cuda.Event requires CUDA support: {_NO_CUDA}")
        self.enable_timing = bool(enable_timing)
        self.blocking = bool(blocking)
        self.interprocess = bool(interprocess)
        self._cp = None
        self._device_index = -1

    @property
    def device(self):
        """The device of the event, None before its first record."""
        return None if self._cp is None else _device("cuda", self._device_index)

    @property
    def cuda_event(self):
        """The cudaEvent_t handle as an int (0 before the first record)."""
        return 0 if self._cp is None else self._cp.ptr

    def record(self, stream=None):
        """Mark the work queued so far on `stream` (default: the current stream)."""
        stream = current_stream() if stream is None else stream
        if self._cp is None:
            with _on_device(stream.device_index):
                self._cp = _cupy().cuda.Event(block=self.blocking, disable_timing=not self.enable_timing,
                                              interprocess=self.interprocess)
            self._device_index = stream.device_index
        elif stream.device_index != self._device_index:
            raise RuntimeError(f"Event device {self._device_index} does not match recording stream's device "
                               f"{stream.device_index}.")
        with _on_device(self._device_index):
            self._cp.record(stream._cp)

    def wait(self, stream=None):
        """Make work queued on `stream` (default: the current stream) from now on wait for this event."""
        if self._cp is None:
            return
        stream = current_stream() if stream is None else stream
        with _on_device(stream.device_index):
            stream._cp.wait_event(self._cp)

    def query(self):
        """True when the work the event marks has finished (or it was never recorded)."""
        return self._cp is None or self._cp.done

    def synchronize(self):
        """Wait until the work the event marks has finished."""
        if self._cp is not None:
            self._cp.synchronize()

    def elapsed_time(self, end_event):
        """Milliseconds from this event to `end_event`; both recorded, completed, with enable_timing."""
        if not (self.enable_timing and end_event.enable_timing):
            raise ValueError("Both events must be created with argument 'enable_timing=True'.")
        if self._cp is None or end_event._cp is None:
            raise ValueError("Both events must be recorded before calculating elapsed time.")
        if not (self.query() and end_event.query()):
            raise RuntimeError("Both events must be completed before calculating elapsed time.")
        with _on_device(self._device_index):
            return _cupy().cuda.get_elapsed_time(self._cp, end_event._cp)

    def __repr__(self):
        if self._cp is None:
            return "<ember.cuda.Event uninitialized>"
        return f"<ember.cuda.Event {self.cuda_event:#x}>"
