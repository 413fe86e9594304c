"""Grad modes: no_grad, enable_grad, set_grad_enabled, inference_mode."""
import functools

# One flag read on every op: a list so the hot path does a single index.
_enabled = [True]
_inference = [False]


def is_grad_enabled():
    return _enabled[0]


def is_inference_mode_enabled():
    return _inference[0]


class _Mode:
    """Context manager and decorator that sets grad mode for its extent."""

    _value = True

    def __enter__(self):
        self._prev = _enabled[0]
        _enabled[0] = self._value
        return None

    def __exit__(self, *exc):
        _enabled[0] = self._prev
        return False

    def __call__(self, fn):
        mode = type(self)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with mode():
                return fn(*args, **kwargs)
        return wrapper

    def clone(self):
        return type(self)()


class no_grad(_Mode):
    """Disables gradient recording (`with ember.no_grad():` or as a decorator)."""
    _value = False

    def __init__(self, orig_func=None):
        pass

    def __new__(cls, orig_func=None):
        self = super().__new__(cls)
        if callable(orig_func):   # @no_grad without parentheses
            return self(orig_func)
        return self


class enable_grad(_Mode):
    """Enables gradient recording inside a no_grad region."""
    _value = True

    def __new__(cls, orig_func=None):
        self = super().__new__(cls)
        if callable(orig_func):
            return self(orig_func)
        return self


class set_grad_enabled(_Mode):
    """`set_grad_enabled(False)` works as a function call, a context manager and a decorator."""

    def __init__(self, mode):
        self._prev = _enabled[0]
        self._value = bool(mode)
        _enabled[0] = self._value

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        _enabled[0] = self._prev
        return False

    def __call__(self, fn):
        _enabled[0] = self._prev
        value = self._value

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(value):
                return fn(*args, **kwargs)
        return wrapper

    def clone(self):
        return set_grad_enabled(self._value)


class inference_mode(_Mode):
    """Like no_grad (ember keeps no extra state for inference tensors)."""

    def __init__(self, mode=True):
        self._value = not mode
        self._mode = mode

    def __new__(cls, mode=True):
        self = super().__new__(cls)
        if callable(mode):
            self.__init__(True)
            return self(mode)
        return self

    def __enter__(self):
        self._prev = _enabled[0]
        self._prev_inf = _inference[0]
        _enabled[0] = self._value and _enabled[0] if self._mode else _enabled[0]
        _inference[0] = self._mode
        return None

    def __exit__(self, *exc):
        _enabled[0] = self._prev
        _inference[0] = self._prev_inf
        return False

    def __call__(self, fn):
        mode = self._mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(mode):
                return fn(*args, **kwargs)
        return wrapper
