"""RemovableHandle: what every register_*hook returns."""
import itertools

_ids = itertools.count()


class RemovableHandle:
    """Removes the hook it was returned for from its dict (`handle.remove()` or `with handle:`)."""

    def __init__(self, hooks_dict, *, extra_dict=None):
        self.hooks_dict = hooks_dict
        self.id = next(_ids)
        self.extra_dicts = extra_dict if isinstance(extra_dict, (list, tuple)) else ([extra_dict] if extra_dict is not None else [])

    def remove(self):
        self.hooks_dict.pop(self.id, None)
        for d in self.extra_dicts:
            d.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
