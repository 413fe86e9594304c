"""Protobuf fields that tensorboardX's copies of TensorBoard's .proto files lack, encoded by protobuf.

tensorboardX ships a subset of TensorBoard's protos: `TensorProto` has no `uint32_val` (16),
`MeshPluginData` no `components` (7), and there is no `RunMetadata` at all. PyTorch writes all
three. Here the wire bytes come from the protobuf package's own field encoders
(`google.protobuf.internal.encoder`); a field merged into a message it does not declare is kept
as an unknown field and serialized after the known ones, so the output equals PyTorch's.
"""
from google.protobuf.internal import encoder as _encoder


def _encode(field_encoder, value):
    parts = []
    field_encoder(parts.append, value, True)
    return b"".join(parts)


def add_uint32(msg, number, values, repeated=True):
    """Merge uint32 field `number` into `msg` (repeated fields packed, as proto3 writes them)."""
    if repeated:
        values = [int(v) for v in values]
        if not values:              # proto3 writes nothing for an empty repeated field
            return msg
    else:
        values = int(values)
    if (min(values) if repeated else values) < 0:
        raise ValueError(f"field {number} is unsigned, got a negative value")
    msg.MergeFromString(_encode(_encoder.UInt32Encoder(number, repeated, repeated), values))
    return msg


def message_field(number, payload):
    """The bytes of a length-delimited field `number` holding `payload` (an encoded message)."""
    return _encode(_encoder.BytesEncoder(number, False, False), bytes(payload))


def run_metadata(device):
    """RunMetadata { step_stats (1) { dev_stats (1) { device (1): device } } }, encoded."""
    device_step_stats = message_field(1, device.encode("utf-8"))
    return message_field(1, message_field(1, device_step_stats))
