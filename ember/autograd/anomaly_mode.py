"""detect_anomaly / set_detect_anomaly: name the op whose backward produced NaN."""
import warnings

_anomaly = [False]


def is_anomaly_enabled():
    return _anomaly[0]


class detect_anomaly:
    def __init__(self, check_nan=True):
        self.check_nan = check_nan

    def __enter__(self):
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.", stacklevel=2)
        self._prev = _anomaly[0]
        _anomaly[0] = self.check_nan
        return self

    def __exit__(self, *exc):
        _anomaly[0] = self._prev
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*a, **k):
            with detect_anomaly(self.check_nan):
                return fn(*a, **k)
        return wrapper


class set_detect_anomaly:
    def __init__(self, mode, check_nan=True):
        self._prev = _anomaly[0]
        _anomaly[0] = bool(mode) and check_nan

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _anomaly[0] = self._prev
        return False
