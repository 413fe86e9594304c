"""ember.cuda's streams, events, device properties, random states and memory counters, as torch.cuda's:
on the fake CuPy by default and on a real GPU with EMBER_CUDA_TESTS=real (tests reading the fake's own
records or needing two devices are `fake_only`), and without CUDA against torch's CPU build."""
import collections
import ctypes
import gc
import re
import types

import numpy as np
import pytest

import ember

from . import fake_cupy
from .backend import fake_only, real_only
from .fake_cupy import FAKE

cuda = ember.cuda


def _props(cp, idx=0):
    """CuPy's own report of device `idx` (the oracle for get_device_properties)."""
    return cp.cuda.runtime.getDeviceProperties(idx)


# ---- streams ----------------------------------------------------------------------------------------
def test_stream_is_made_on_the_current_device():
    s = cuda.Stream()
    assert s.device == ember.device("cuda", 0) and s.device_index == 0
    assert isinstance(s.cuda_stream, int) and s.cuda_stream != 0
    assert s.query() and s.synchronize() is None


def test_stream_repr_is_torchs_format():
    torch = pytest.importorskip("torch")
    s = cuda.Stream()
    like = types.SimpleNamespace(device=torch.device("cuda", 0), cuda_stream=s.cuda_stream)
    assert repr(s) == torch.cuda.Stream.__repr__(like).replace("torch.", "ember.")
    assert repr(cuda.default_stream()) == "<ember.cuda.Stream device=cuda:0 cuda_stream=0x0>"


def test_stream_priority_is_clamped_to_the_devices_range():
    assert cuda.Stream().priority == 0
    assert cuda.Stream(priority=-1).priority == -1
    assert cuda.Stream(priority=5).priority == 0            # 0 is the lowest priority on every CUDA device
    assert cuda.Stream(priority=-100).priority < -1         # the highest the device has


def test_current_and_default_streams():
    cur, default = cuda.current_stream(), cuda.default_stream()
    assert cur == default and default.cuda_stream == 0 and len({cur, default}) == 1
    assert cuda.current_stream(0) == cuda.current_stream("cuda:0") == cuda.current_stream(ember.device("cuda")) == cur
    s = cuda.Stream()
    assert s != default and s == s and len({s, cuda.Stream()}) == 2
    assert s != "a stream" and not (s == object())
    with pytest.raises(RuntimeError, match="invalid device ordinal"):
        cuda.current_stream(cuda.device_count())


def test_stream_context_makes_the_stream_current(fake_cuda):
    cp = fake_cuda
    s1, s2 = cuda.Stream(), cuda.Stream()
    x = ember.arange(6.0, device="cuda")
    with cuda.stream(s1) as entered:
        assert entered is None                              # as torch's StreamContext
        assert cuda.current_stream() == s1 and cp.cuda.get_current_stream().ptr == s1.cuda_stream
        y = x * 2                                           # CuPy queues this kernel on s1
        with cuda.stream(s2):
            assert cuda.current_stream() == s2 and cp.cuda.get_current_stream().ptr == s2.cuda_stream
        assert cuda.current_stream() == s1
    assert cuda.current_stream() == cuda.default_stream() and cp.cuda.get_current_stream().ptr == 0
    s1.synchronize()
    np.testing.assert_array_equal(y.cpu().numpy(), np.arange(6.0) * 2)


def test_stream_is_its_own_context_manager(fake_cuda):
    s = cuda.Stream()
    with s as entered:
        assert entered is s and cuda.current_stream() == s
        with s:                                             # re-entering nests
            assert fake_cuda.cuda.get_current_stream().ptr == s.cuda_stream
        assert cuda.current_stream() == s
    assert cuda.current_stream() == cuda.default_stream()


def test_stream_context_of_none_does_nothing():
    before = cuda.current_stream()
    with cuda.stream(None):
        assert cuda.current_stream() == before


def test_set_stream():
    s = cuda.Stream()
    try:
        cuda.set_stream(s)
        assert cuda.current_stream() == s
        cuda.set_stream(None)
        assert cuda.current_stream() == s
    finally:
        cuda.set_stream(cuda.default_stream())
    assert cuda.current_stream() == cuda.default_stream()


def test_streams_wait_for_each_other():
    s1, s2 = cuda.Stream(), cuda.Stream()
    with cuda.stream(s1):
        y = ember.ones(1000, device="cuda") * 3
    s2.wait_stream(s1)
    with cuda.stream(s2):
        z = y + 1
    e = s2.record_event()
    assert isinstance(e, cuda.Event) and e.cuda_event != 0 and e.device == s2.device
    cuda.default_stream().wait_event(e)
    e.synchronize()
    assert e.query() and s2.query()
    assert float(z.sum().item()) == 4000.0


@fake_only
def test_waits_reach_cupy(fake_state):
    s1, s2 = cuda.Stream(), cuda.Stream()
    e = cuda.Event()
    e.record(s1)
    s2.wait_event(e)
    assert fake_state.stream_waits[-1] == (s2.cuda_stream, e.cuda_event)
    s1.wait_stream(s2)
    assert fake_state.stream_waits[-1][0] == s1.cuda_stream
    cuda.Event().wait(s2)                                   # never recorded: nothing to wait for
    assert fake_state.stream_waits[-1][0] == s1.cuda_stream


# ---- events -----------------------------------------------------------------------------------------
def test_event_before_its_first_record():
    e = cuda.Event()
    assert repr(e) == "<ember.cuda.Event uninitialized>"
    assert e.query() and e.cuda_event == 0 and e.device is None
    e.synchronize()
    e.wait()


def test_event_repr_is_torchs_format():
    torch = pytest.importorskip("torch")
    e = cuda.Event()
    e.record()
    like = types.SimpleNamespace(cuda_event=e.cuda_event, _as_parameter_=ctypes.c_void_p(e.cuda_event))
    assert repr(e) == torch.cuda.Event.__repr__(like).replace("torch.", "ember.")


def test_event_times_work_in_milliseconds():
    start, end = cuda.Event(enable_timing=True), cuda.Event(enable_timing=True)
    a = ember.randn(256, 256, device="cuda")
    start.record()
    for _ in range(3):
        a = a @ a / 16
    end.record()
    end.synchronize()
    ms = start.elapsed_time(end)
    assert isinstance(ms, float) and ms >= 0.0
    assert start.device == end.device == ember.device("cuda", 0) and start.query()


@pytest.mark.parametrize("timing, record, message", [
    ((False, False), (True, True), "Both events must be created with argument 'enable_timing=True'."),
    ((True, False), (True, True), "Both events must be created with argument 'enable_timing=True'."),
    ((True, True), (False, False), "Both events must be recorded before calculating elapsed time."),
    ((True, True), (True, False), "Both events must be recorded before calculating elapsed time."),
], ids=["no-timing", "one-without-timing", "unrecorded", "end-unrecorded"])
def test_elapsed_time_errors_are_torchs(timing, record, message):
    events = [cuda.Event(enable_timing=t) for t in timing]
    for e, r in zip(events, record):
        if r:
            e.record()
    with pytest.raises(ValueError, match=re.escape(message)):
        events[0].elapsed_time(events[1])


def test_event_records_on_a_given_stream():
    s = cuda.Stream()
    e = cuda.Event(blocking=True)
    e.record(s)
    assert e.device == s.device and e.cuda_event != 0
    first = e.cuda_event
    e.record(s)                                             # re-recording reuses the CUDA event
    assert e.cuda_event == first


# ---- device properties ------------------------------------------------------------------------------
def test_device_properties_come_from_cupy(fake_cuda):
    raw = _props(fake_cuda)
    p = cuda.get_device_properties()
    assert p is cuda.get_device_properties(0) is cuda.get_device_properties("cuda:0")
    assert p.name == raw["name"].decode() == cuda.get_device_name()
    assert (p.major, p.minor) == (raw["major"], raw["minor"]) == cuda.get_device_capability()
    assert p.total_memory == raw["totalGlobalMem"] and p.multi_processor_count == raw["multiProcessorCount"]
    assert p.L2_cache_size == raw["l2CacheSize"] and p.warp_size == raw["warpSize"]
    assert p.uuid.replace("-", "") == bytes(raw["uuid"]).hex()


def test_device_properties_repr_is_torchs_format(fake_cuda):
    raw = _props(fake_cuda)
    mib = 1 << 20
    h = bytes(raw["uuid"]).hex()
    assert repr(cuda.get_device_properties()) == (
        f"_CudaDeviceProperties(name='{raw['name'].decode()}', major={raw['major']}, minor={raw['minor']}, "
        f"total_memory={raw['totalGlobalMem'] // mib}MB, multi_processor_count={raw['multiProcessorCount']}, "
        f"uuid={h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}, pci_bus_id={raw['pciBusID']}, "
        f"pci_device_id={raw['pciDeviceID']}, pci_domain_id={raw['pciDomainID']}, "
        f"L2_cache_size={raw['l2CacheSize'] // mib}MB)")


def test_device_properties_of_a_missing_device():
    with pytest.raises(AssertionError, match="Invalid device id"):
        cuda.get_device_properties(cuda.device_count())


def test_bf16_support_follows_the_compute_capability(fake_cuda):
    assert cuda.is_bf16_supported() is (_props(fake_cuda)["major"] >= 8)
    assert cuda.is_bf16_supported(including_emulation=False) is (_props(fake_cuda)["major"] >= 8)


@fake_only
def test_bf16_on_an_older_device(fake_cuda, fake_state):
    fake_state.capability = (7, 5)
    assert cuda.get_device_capability() == (7, 5)
    assert cuda.is_bf16_supported(including_emulation=False) is False
    try:                                                    # emulated: whether the backend has bfloat16 arrays
        fake_cuda.asarray(np.zeros(1, dtype=ember.bfloat16.np))
        has_bf16 = True
    except TypeError:
        has_bf16 = False
    assert cuda.is_bf16_supported() is has_bf16


# ---- random states ----------------------------------------------------------------------------------
def test_rng_state_round_trip_repeats_the_draws():
    state = cuda.get_rng_state()
    assert state.dtype is ember.uint8 and not state.is_cuda and state.dim() == 1
    a = ember.randn(100, device="cuda")
    b = ember.randint(0, 1000, (50,), device="cuda")
    cuda.set_rng_state(state)
    assert ember.equal(ember.randn(100, device="cuda"), a)
    assert ember.equal(ember.randint(0, 1000, (50,), device="cuda"), b)
    assert not ember.equal(ember.randn(100, device="cuda"), a)


def test_rng_state_of_cuda_leaves_the_cpu_stream_alone():
    ember.manual_seed(0)
    cpu_next = ember.rand(5)
    ember.manual_seed(0)
    state = cuda.get_rng_state()
    ember.randn(10, device="cuda")
    cuda.set_rng_state(state)
    assert ember.equal(ember.rand(5), cpu_next)


def test_rng_state_all():
    states = cuda.get_rng_state_all()
    assert len(states) == cuda.device_count() and all(s.dtype is ember.uint8 for s in states)
    a = ember.rand(20, device="cuda")
    cuda.set_rng_state_all(states)
    assert ember.equal(ember.rand(20, device="cuda"), a)


def test_set_rng_state_checks_its_argument():
    with pytest.raises(TypeError):
        cuda.set_rng_state([1, 2, 3])


def test_seeds():
    cuda.manual_seed(123)
    assert cuda.initial_seed() == 123
    a = ember.randn(8, device="cuda")
    cuda.manual_seed_all(123)
    assert cuda.initial_seed() == 123 and ember.equal(ember.randn(8, device="cuda"), a)
    cuda.seed()
    s = cuda.initial_seed()
    assert s != 123 and not ember.equal(ember.randn(8, device="cuda"), a)
    cuda.seed_all()
    assert cuda.initial_seed() not in (123, s)


# ---- memory counters --------------------------------------------------------------------------------
def test_peak_counts_a_block_already_freed(fake_cuda):
    cp = fake_cuda
    gc.collect()
    cuda.reset_peak_memory_stats()
    base = cuda.memory_allocated()
    assert cuda.max_memory_allocated() == base
    block = cp.cuda.alloc(8 << 20)                          # through CuPy's current allocator, as arrays are
    assert cp.get_default_memory_pool().used_bytes() >= base + (8 << 20)     # CuPy's count: no query of ours
    del block
    assert cuda.memory_allocated() == base
    assert cuda.max_memory_allocated() >= base + (8 << 20)  # the peak remembers what the pool no longer shows
    assert cuda.max_memory_reserved() >= cuda.memory_reserved() >= cuda.memory_allocated()
    cuda.reset_peak_memory_stats()
    assert cuda.max_memory_allocated() == base
    assert cuda.max_memory_reserved() == cuda.memory_reserved()


def test_reserved_peak_outlives_empty_cache(fake_cuda):
    pool = fake_cuda.get_default_memory_pool()
    cuda.reset_peak_memory_stats()
    block = fake_cuda.cuda.alloc(8 << 20)
    del block                                               # back in the pool, still reserved
    reserved = pool.total_bytes()
    assert reserved >= 8 << 20
    cuda.empty_cache()
    assert pool.total_bytes() < reserved and cuda.memory_reserved() == pool.total_bytes()
    assert cuda.max_memory_reserved() >= reserved


def test_memory_stats_keys(fake_cuda):
    block = fake_cuda.cuda.alloc(1 << 20)
    stats = cuda.memory_stats()
    assert isinstance(stats, collections.OrderedDict) and list(stats) == sorted(stats)
    assert stats["allocated_bytes.all.current"] == cuda.memory_allocated() >= 1 << 20
    assert stats["allocated_bytes.all.peak"] == cuda.max_memory_allocated()
    assert stats["reserved_bytes.all.current"] == cuda.memory_reserved()
    assert stats["reserved_bytes.all.peak"] == cuda.max_memory_reserved()
    del block


def test_memory_summary_is_a_table(fake_cuda):
    block = fake_cuda.cuda.alloc(3 << 20)
    text = cuda.memory_summary()
    lines = text.splitlines()
    assert text.endswith("\n") and len({len(line) for line in lines}) == 1
    assert all(line.startswith("|") and line.endswith("|") for line in lines)
    assert "device ID 0" in text
    allocated = next(line for line in lines if "Allocated memory" in line)
    assert re.search(rf"\|\s+{cuda.memory_allocated() >> 20} MiB \|", allocated)
    assert "GPU reserved memory" in text and cuda.memory_summary(abbreviated=True)
    del block


def test_reset_max_memory_allocated_warns_as_torch():
    with pytest.warns(FutureWarning, match="reset_peak_memory_stats"):
        cuda.reset_max_memory_allocated()


def test_a_programs_own_allocator_is_kept(fake_cuda):
    cp = fake_cuda
    cuda.memory_allocated()
    previous = cp.cuda.get_allocator()
    pool = cp.get_default_memory_pool()

    def own(size):
        return pool.malloc(size)

    cp.cuda.set_allocator(own)
    try:
        block = own(1 << 20)
        assert cuda.max_memory_allocated() >= cuda.memory_allocated() >= 1 << 20
        assert cp.cuda.get_allocator() is own               # the query did not put ember's tracker back
        del block
    finally:
        cp.cuda.set_allocator(previous)


def test_mem_get_info(fake_cuda):
    free, total = cuda.mem_get_info()
    assert total == _props(fake_cuda)["totalGlobalMem"] and 0 < free <= total


@real_only
def test_peak_of_tensors_freed_on_the_gpu():
    gc.collect()
    cuda.reset_peak_memory_stats()
    base = cuda.memory_allocated()
    t = ember.empty(1 << 20, device="cuda")                 # 4 MiB of float32
    (t * 2).sum().item()
    del t
    gc.collect()
    assert cuda.memory_allocated() <= base
    assert cuda.max_memory_allocated() >= base + (8 << 20)  # t and t * 2 were alive together


# ---- two devices (fake) -----------------------------------------------------------------------------
@fake_only
def test_streams_and_events_on_a_second_device():
    with fake_cupy.installed(device_count=2):
        s1 = cuda.Stream(1)
        assert s1.device == ember.device("cuda", 1) and FAKE.current == 0
        with cuda.stream(s1):
            assert cuda.current_device() == 1 and cuda.current_stream() == s1
            assert cuda.current_stream(0) == cuda.default_stream(0)
            y = ember.ones(3, device="cuda") + 1
        assert cuda.current_device() == 0 and cuda.current_stream(1) == cuda.default_stream(1)
        assert y.device == ember.device("cuda", 1)
        e = cuda.Event()
        e.record()
        assert e.device == ember.device("cuda", 0)
        with pytest.raises(RuntimeError, match=re.escape("Event device 0 does not match recording stream's device 1.")):
            e.record(s1)
        e1 = s1.record_event()
        assert e1.device == ember.device("cuda", 1) and FAKE.current == 0
        cuda.default_stream(0).wait_event(e1)                 # a stream may wait on another device's event
        assert cuda.get_device_properties(1).name == cuda.get_device_name(1)


@fake_only
def test_rng_states_and_peaks_per_device():
    with fake_cupy.installed(device_count=2) as cp:
        state1 = cuda.get_rng_state(1)
        a0 = ember.randn(5, device="cuda:0")
        a1 = ember.randn(5, device="cuda:1")
        cuda.set_rng_state(state1, device=1)
        assert not ember.equal(ember.randn(5, device="cuda:0"), a0)     # device 0 was not rewound
        assert ember.equal(ember.randn(5, device="cuda:1"), a1)
        cuda.reset_peak_memory_stats(1)
        with cp.cuda.Device(1):
            block = cp.cuda.alloc(1 << 20)
            assert cp.get_default_memory_pool().used_bytes() == 1 << 20
        del block
        assert cuda.memory_allocated(1) == 0 and cuda.memory_allocated(0) == 0
        assert cuda.max_memory_allocated(1) == 1 << 20 and cuda.max_memory_allocated(0) == 0
        assert "device ID 1" in cuda.memory_summary(1)


# ---- without CUDA: as torch's CPU build -------------------------------------------------------------
def _outcome(fn):
    try:
        return "returned", fn()
    except Exception as e:  # noqa: BLE001
        return "raised", e


_WITHOUT_CUDA = {
    "get_rng_state": lambda m: m.cuda.get_rng_state(),
    "get_rng_state_all": lambda m: m.cuda.get_rng_state_all(),
    "set_rng_state": lambda m: m.cuda.set_rng_state(m.get_rng_state()),
    "set_rng_state_all": lambda m: m.cuda.set_rng_state_all([m.get_rng_state()]),
    "initial_seed": lambda m: m.cuda.initial_seed(),
    "seed": lambda m: m.cuda.seed(),
    "seed_all": lambda m: m.cuda.seed_all(),
    "manual_seed": lambda m: m.cuda.manual_seed(1),
    "manual_seed_all": lambda m: m.cuda.manual_seed_all(1),
    "Event": lambda m: m.cuda.Event(enable_timing=True),
    "Stream": lambda m: m.cuda.Stream(),
    "current_stream": lambda m: m.cuda.current_stream(),
    "default_stream": lambda m: m.cuda.default_stream(),
    "stream(None)": lambda m: m.cuda.stream(None).__enter__(),
    "is_bf16_supported": lambda m: m.cuda.is_bf16_supported(),
    "is_bf16_supported(no emulation)": lambda m: m.cuda.is_bf16_supported(including_emulation=False),
    "get_device_properties": lambda m: m.cuda.get_device_properties(),
    "get_device_properties(0)": lambda m: m.cuda.get_device_properties(0),
    "memory_stats": lambda m: m.cuda.memory_stats(),
    "memory_summary": lambda m: m.cuda.memory_summary(),
    "memory_allocated": lambda m: m.cuda.memory_allocated(),
    "max_memory_allocated": lambda m: m.cuda.max_memory_allocated(),
    "memory_reserved": lambda m: m.cuda.memory_reserved(),
    "max_memory_reserved": lambda m: m.cuda.max_memory_reserved(),
    "mem_get_info": lambda m: m.cuda.mem_get_info(),
    "empty_cache": lambda m: m.cuda.empty_cache(),
}
_SAME_MESSAGE_START = {"get_rng_state", "initial_seed", "current_stream", "default_stream", "get_device_properties",
                       "get_device_properties(0)", "memory_summary", "mem_get_info", "Stream"}


@pytest.mark.parametrize("call", _WITHOUT_CUDA.values(), ids=_WITHOUT_CUDA.keys())
def test_without_cuda_as_torchs_cpu_build(call, request):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("torch has CUDA here: it is no oracle for a machine without")
    name = request.node.callspec.id
    expected = _outcome(lambda: call(torch))
    with fake_cupy.uninstalled():
        got = _outcome(lambda: call(ember))
    assert got[0] == expected[0], (got, expected)
    if expected[0] == "raised":
        assert isinstance(got[1], type(expected[1])), (got, expected)
        if name in _SAME_MESSAGE_START:
            assert str(got[1]).startswith(str(expected[1]).replace("torch.", "ember.")), (got, expected)
    else:
        assert type(got[1]) is type(expected[1]) and got[1] == expected[1]


def test_without_cuda_peaks_cannot_be_reset():
    with fake_cupy.uninstalled():
        with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
            cuda.reset_peak_memory_stats()
        with pytest.raises(RuntimeError, match="Torch not compiled with CUDA enabled"):   # also a RuntimeError
            cuda.current_device()
