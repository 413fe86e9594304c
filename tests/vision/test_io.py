"""ember.vision.io: PNG/JPEG round trips and read modes on generated images (Pillow is the oracle)."""
import io

import numpy as np
import pytest
from PIL import Image

import ember
from ember.vision import io as vio
from ember.vision.io import ImageReadMode as M

RNG = np.random.default_rng(0)
RGB = RNG.integers(0, 256, (21, 30, 3), dtype=np.uint8)
SMOOTH = np.clip(np.add.outer(np.arange(21) * 6, np.arange(30) * 4)[..., None] + np.array([0, 40, 80]), 0,
                 255).astype(np.uint8)


def chw(a):
    return ember.from_numpy(np.ascontiguousarray(a.transpose(2, 0, 1)))


def test_png_round_trip_exact(tmp_path):
    t = chw(RGB)
    data = vio.encode_png(t)
    assert data.dtype == ember.uint8 and data.ndim == 1
    assert bytes(data.numpy()[:8]) == b"\x89PNG\r\n\x1a\n"
    np.testing.assert_array_equal(vio.decode_png(data).numpy(), RGB.transpose(2, 0, 1))
    path = tmp_path / "x.png"
    vio.write_png(t, str(path), compression_level=9)
    out = vio.read_image(str(path))
    assert out.dtype == ember.uint8 and out.shape == (3, 21, 30)
    np.testing.assert_array_equal(out.numpy(), RGB.transpose(2, 0, 1))
    np.testing.assert_array_equal(np.asarray(Image.open(path)), RGB)
    gray = chw(RGB[..., :1])
    np.testing.assert_array_equal(vio.decode_image(vio.encode_png(gray)).numpy(), RGB[..., :1].transpose(2, 0, 1))


def test_jpeg_round_trip(tmp_path):
    t = chw(SMOOTH)
    data = vio.encode_jpeg(t, quality=90)
    ref = io.BytesIO()
    Image.fromarray(SMOOTH).save(ref, "JPEG", quality=90)
    assert bytes(data.numpy()) == ref.getvalue()          # same encoder settings as Pillow's / libjpeg's
    dec = vio.decode_jpeg(data)
    assert dec.shape == (3, 21, 30) and dec.dtype == ember.uint8
    assert np.abs(dec.numpy().astype(int) - SMOOTH.transpose(2, 0, 1)).mean() < 3
    path = tmp_path / "x.jpg"
    vio.write_jpeg(t, str(path))
    assert np.abs(vio.read_image(path).numpy().astype(int) - SMOOTH.transpose(2, 0, 1)).mean() < 4
    assert len(vio.encode_jpeg([t, t])) == 2
    assert len(vio.decode_jpeg([data, data])) == 2


def test_read_modes(tmp_path):
    rgba = np.concatenate([RGB, np.full((21, 30, 1), 200, np.uint8)], -1)
    path = tmp_path / "a.png"
    Image.fromarray(rgba).save(path)
    assert vio.read_image(str(path)).shape == (4, 21, 30)
    rgb = vio.read_image(str(path), M.RGB)
    np.testing.assert_array_equal(rgb.numpy(), RGB.transpose(2, 0, 1))
    gray = vio.read_image(str(path), M.GRAY)
    assert gray.shape == (1, 21, 30)
    np.testing.assert_array_equal(gray.numpy()[0], np.asarray(Image.fromarray(RGB).convert("L")))
    ga = vio.read_image(str(path), M.GRAY_ALPHA)
    assert ga.shape == (2, 21, 30) and np.all(ga.numpy()[1] == 200)
    gpath = tmp_path / "g.png"
    Image.fromarray(RGB[..., 0]).save(gpath)
    assert vio.read_image(str(gpath)).shape == (1, 21, 30)
    full = vio.read_image(str(gpath), "RGBA")
    assert full.shape == (4, 21, 30) and np.all(full.numpy()[3] == 255)
    np.testing.assert_array_equal(full.numpy()[1], RGB[..., 0])
    assert M.RGBA is M.RGB_ALPHA and M.RGB.value == 3


def test_16bit_png(tmp_path):
    a = (np.arange(20 * 7, dtype=np.uint16).reshape(20, 7) * 400)
    path = tmp_path / "d.png"
    Image.fromarray(a).save(path)
    out = vio.read_image(str(path))
    assert out.dtype == ember.uint16 and out.shape == (1, 20, 7)
    np.testing.assert_array_equal(out.numpy()[0], a)


def test_read_write_file(tmp_path):
    data = ember.from_numpy(np.frombuffer(b"hello ember", np.uint8).copy())
    vio.write_file(str(tmp_path / "f.bin"), data)
    back = vio.read_file(str(tmp_path / "f.bin"))
    assert back.dtype == ember.uint8 and bytes(back.numpy()) == b"hello ember"


def test_errors():
    t = chw(RGB)
    with pytest.raises(RuntimeError, match="Compression level should be between 0 and 9"):
        vio.encode_png(t, 10)
    with pytest.raises(RuntimeError, match="Input tensor dtype should be uint8"):
        vio.encode_png(t.float())
    with pytest.raises(RuntimeError, match="The number of channels should be 1 or 3, got: 2"):
        vio.encode_jpeg(t[:2])
    with pytest.raises(ValueError, match="Image quality should be a positive number between 1 and 100"):
        vio.encode_jpeg(t, 0)
    with pytest.raises(RuntimeError, match="Content is too small for png!"):
        vio.decode_png(ember.zeros(3, dtype=ember.uint8))
    with pytest.raises(RuntimeError, match="Unsupported image file"):
        vio.decode_image(ember.zeros(30, dtype=ember.uint8))
