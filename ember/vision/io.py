"""Image file I/O (torchvision.io's image part) through Pillow: read/write files, PNG/JPEG encode and decode."""
import io as _io
from enum import Enum

import numpy as np
from PIL import Image, ImageOps

from .._tensor import Tensor
from ._video_io import read_video, read_video_timestamps, write_video  # noqa: F401 (video part, needs PyAV)

__all__ = ["ImageReadMode", "read_file", "write_file", "decode_png", "encode_png", "write_png", "decode_jpeg",
           "encode_jpeg", "write_jpeg", "decode_image", "read_image"]
__all__ += ["read_video", "read_video_timestamps", "write_video"]


class ImageReadMode(Enum):
    """Channel layout to decode into: UNCHANGED, GRAY, GRAY_ALPHA, RGB, RGB_ALPHA (alias RGBA)."""
    UNCHANGED = 0
    GRAY = 1
    GRAY_ALPHA = 2
    RGB = 3
    RGB_ALPHA = 4
    RGBA = RGB_ALPHA


_PIL_MODE = {ImageReadMode.GRAY: "L", ImageReadMode.GRAY_ALPHA: "LA", ImageReadMode.RGB: "RGB",
             ImageReadMode.RGB_ALPHA: "RGBA"}


def _bytes(data):
    return np.ascontiguousarray(data._device.backend.asnumpy(data._data)).tobytes()


def _u8(buf):
    return Tensor._wrap(np.frombuffer(buf, dtype=np.uint8).copy())


def _mode(mode):
    return ImageReadMode[mode.upper()] if isinstance(mode, str) else mode


def read_file(path):
    """The bytes of a file as a 1-D uint8 tensor."""
    with open(str(path), "rb") as f:
        return _u8(f.read())


def write_file(filename, data):
    """Write a 1-D uint8 tensor of bytes to a file."""
    with open(str(filename), "wb") as f:
        f.write(_bytes(data))


def _check_encoded(input, op):
    if not isinstance(input, Tensor) or input.dtype.np != np.uint8:
        raise RuntimeError(f"{op}: Expected a torch.uint8 tensor")
    if input.ndim != 1 or input.numel() == 0:
        raise RuntimeError(f"{op}: Expected a non empty 1-dimensional tensor")


def _decode(input, mode, apply_exif_orientation, op, formats=None):
    _check_encoded(input, op)
    try:
        img = Image.open(_io.BytesIO(_bytes(input)), formats=formats)
        img.load()
    except Exception as e:   # noqa: BLE001 (Pillow raises many kinds)
        if formats == ["PNG"]:
            raise RuntimeError("Content is too small for png!" if input.numel() < 8 else "Invalid png input.") from e
        if formats == ["JPEG"]:
            raise RuntimeError(f"Not a JPEG file: {e}") from e
        raise RuntimeError("Unsupported image file. Only jpeg, png, webp and gif are currently supported.") from e
    if apply_exif_orientation:
        img = ImageOps.exif_transpose(img)
    mode = _mode(mode)
    if img.mode == "P" or img.mode == "1":
        img = img.convert("RGBA" if "transparency" in img.info else ("RGB" if img.mode == "P" else "L"))
    if mode != ImageReadMode.UNCHANGED:
        img = img.convert(_PIL_MODE[mode]) if img.mode != _PIL_MODE[mode] else img
    elif img.mode == "CMYK":
        img = img.convert("RGB")
    arr = np.asarray(img)
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = arr.astype(np.uint16)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    return Tensor._wrap(np.ascontiguousarray(arr.transpose(2, 0, 1)))


def decode_png(input, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False):
    """Decode PNG bytes into a CHW uint8 tensor (uint16 for 16-bit PNGs)."""
    return _decode(input, mode, apply_exif_orientation, "decode_png", ["PNG"])


def decode_jpeg(input, mode=ImageReadMode.UNCHANGED, device="cpu", apply_exif_orientation=False):
    """Decode JPEG bytes (a tensor or a list of tensors) into CHW uint8 tensors."""
    if isinstance(input, list):
        if len(input) == 0:
            raise ValueError("Input list must contain at least one element")
        if not all(isinstance(t, Tensor) for t in input):
            raise ValueError("All elements of the input list must be tensors.")
        return [_decode(t, mode, apply_exif_orientation, "decode_jpeg", ["JPEG"]) for t in input]
    return _decode(input, mode, apply_exif_orientation, "decode_jpeg", ["JPEG"])


def decode_image(input, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False):
    """Decode JPEG/PNG/GIF/WEBP bytes (or read the file at a path) into a CHW uint8 tensor."""
    if not isinstance(input, Tensor):
        input = read_file(str(input))
    return _decode(input, mode, apply_exif_orientation, "decode_image", ["JPEG", "PNG", "GIF", "WEBP"])


def read_image(path, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False):
    """Read an image file into a CHW uint8 tensor."""
    return decode_image(read_file(path), mode, apply_exif_orientation=apply_exif_orientation)


def _to_pil(input, op):
    if input.dtype.np != np.uint8:
        raise RuntimeError(f"{op}: Input tensor dtype should be uint8")
    if input.ndim != 3:
        raise RuntimeError(f"{op}: Input data should be a 3-dimensional tensor")
    c = input.shape[0]
    if c not in (1, 3):
        raise RuntimeError(f"{op}: The number of channels should be 1 or 3, got: {c}")
    arr = np.ascontiguousarray(input._device.backend.asnumpy(input.detach()._data).transpose(1, 2, 0))
    return Image.fromarray(arr[:, :, 0] if c == 1 else arr)


def encode_png(input, compression_level=6):
    """Encode a CHW uint8 tensor (1 or 3 channels) as PNG bytes."""
    if compression_level < 0 or compression_level > 9:
        raise RuntimeError("encode_png: Compression level should be between 0 and 9")
    buf = _io.BytesIO()
    _to_pil(input, "encode_png").save(buf, "PNG", compress_level=compression_level)
    return _u8(buf.getvalue())


def write_png(input, filename, compression_level=6):
    write_file(filename, encode_png(input, compression_level))


def encode_jpeg(input, quality=75):
    """Encode a CHW uint8 tensor (or a list of them) as JPEG bytes."""
    if quality < 1 or quality > 100:
        raise ValueError("Image quality should be a positive number between 1 and 100")
    if isinstance(input, list):
        if not input:
            raise ValueError("encode_jpeg requires at least one input tensor when a list is passed")
        return [encode_jpeg(t, quality) for t in input]
    buf = _io.BytesIO()
    _to_pil(input, "encode_jpeg").save(buf, "JPEG", quality=quality)
    return _u8(buf.getvalue())


def write_jpeg(input, filename, quality=75):
    write_file(filename, encode_jpeg(input, quality))
