"""ember.multiprocessing: the standard library's multiprocessing plus torch's spawn helpers.

Ember tensors pickle by value, so they pass through Queues and Pipes as they are; the sharing
strategy setting is kept for compatibility and changes nothing."""
import multiprocessing
from multiprocessing import *  # noqa: F401,F403

from .spawn import (ProcessContext, ProcessException, ProcessExitedException, ProcessRaisedException,
                    SpawnContext, spawn, start_processes)

__all__ = list(multiprocessing.__all__) + ["spawn", "start_processes", "ProcessContext", "SpawnContext",
                                          "ProcessException", "ProcessRaisedException", "ProcessExitedException",
                                          "get_sharing_strategy", "set_sharing_strategy",
                                          "get_all_sharing_strategies"]

_STRATEGIES = {"file_descriptor", "file_system"}
_strategy = "file_descriptor"


def set_sharing_strategy(new_strategy):
    global _strategy
    if new_strategy not in _STRATEGIES:
        raise AssertionError(f"invalid sharing strategy {new_strategy!r}")
    _strategy = new_strategy


def get_sharing_strategy():
    return _strategy


def get_all_sharing_strategies():
    return set(_STRATEGIES)


def init_reductions():
    """Nothing to register: ember tensors pickle by value."""
