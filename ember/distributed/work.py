"""Work: the handle of an operation issued with async_op=True (or isend/irecv)."""

__all__ = ["Work"]


class Work:
    """`wait()` blocks until the operation is done and writes its results into the output tensors (on the
    calling thread, so ember's autograd state is never touched from a worker thread)."""

    def __init__(self, future=None, finish=None, result=None):
        self._future = future
        self._finish = finish
        self._result = result if result is not None else []
        self._done = future is None and finish is None

    def wait(self, timeout=None):
        if not self._done:
            value = self._future.result(timeout) if self._future is not None else None
            if self._finish is not None:
                self._finish(value)
            self._done = True
        return True

    def is_completed(self):
        return self._done or (self._future is not None and self._future.done())

    def is_success(self):
        return self.is_completed() and (self._future is None or self._future.exception() is None)

    def exception(self):
        return None if self._future is None or not self._future.done() else self._future.exception()

    def result(self):
        self.wait()
        return self._result

    def get_future(self):
        return self._future

    def source_rank(self):
        self.wait()
        return self._source_rank

    def __repr__(self):
        return f"<ember.distributed.Work object at {hex(id(self))}>"
