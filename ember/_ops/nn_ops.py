"""Neural-network primitives (softmax family, losses, normalization, conv, pooling ...).

Public top-level names (ember.softmax, ember.conv2d ...) go in __all__."""
__all__ = []
