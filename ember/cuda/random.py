"""ember.cuda's random-state functions. ember draws CUDA randoms on the host, from one ember Generator
per CUDA device (ember.random); these read, set and seed those generators, as torch's do its CUDA ones.
Without CUDA the getters raise, as in torch's CPU build, and the setters and seeders have nothing to act
on (manual_seed_all / seed_all still set the seed of generators made later)."""
import os

from . import _device_index, _require, current_device, device_count, is_available


def _generator(idx):
    """The generator CUDA device `idx` draws from."""
    from ..random import _cuda_device, _default_for
    return _default_for(_cuda_device(idx))


def get_rng_state(device="cuda"):
    """The state of `device`'s generator, a uint8 CPU tensor (set_rng_state takes it back)."""
    _require()
    return _generator(_device_index(device)).get_state()


def set_rng_state(new_state, device="cuda"):
    """Restore `device`'s generator to a state from get_rng_state."""
    if is_available():
        _generator(_device_index(device)).set_state(new_state)


def get_rng_state_all():
    """The states of every CUDA device's generator, by device index."""
    return [get_rng_state(i) for i in range(device_count())]


def set_rng_state_all(new_states):
    """Restore every CUDA device's generator, new_states[i] to device i."""
    for i, state in enumerate(new_states):
        set_rng_state(state, i)


def manual_seed(seed):
    """Seed the current CUDA device's generator."""
    from ..random import _seed_value, seed_cuda_streams
    seed = _seed_value(seed)
    if is_available():
        seed_cuda_streams(seed, current_device())


def manual_seed_all(seed):
    """Seed every CUDA device's generator (and those made later)."""
    from ..random import seed_cuda_streams
    seed_cuda_streams(seed)


def seed():
    """Seed the current CUDA device's generator with a random number."""
    if is_available():
        _generator(current_device()).seed()


def seed_all():
    """Seed every CUDA device's generator with one random number."""
    manual_seed_all(int.from_bytes(os.urandom(8), "little"))


def initial_seed():
    """The seed of the current CUDA device's generator."""
    _require()
    return _generator(current_device()).initial_seed()
