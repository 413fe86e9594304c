"""The exception types of torch.distributed."""


class DistError(RuntimeError):
    """Base of the errors the distributed package raises."""


class DistBackendError(DistError):
    """A collective or point-to-point operation failed in its backend."""


class DistNetworkError(DistError):
    """A socket could not be opened, or a peer went away."""


class DistStoreError(DistError):
    """A key-value store operation failed or timed out."""


NOT_INITIALIZED = "Default process group has not been initialized, please make sure to call init_process_group."
