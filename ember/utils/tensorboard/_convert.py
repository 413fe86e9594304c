"""Turn what users log (ember tensors, NumPy arrays, Python numbers, figures) into NumPy arrays
laid out the way the TensorBoard encoders want them (images HWC, videos THWC)."""
import numpy as np

from ..._tensor import Tensor


def make_np(x):
    """An ember tensor, NumPy array or Python scalar as a NumPy array (scalars become shape (1,))."""
    if isinstance(x, np.ndarray):
        return x
    if isinstance(x, Tensor):
        arr = x.numpy(force=True)          # detached, on the host
        if arr.dtype.name == "bfloat16":        # like PyTorch: NumPy consumers get float16
            arr = arr.astype(np.float16)
        return arr
    if np.isscalar(x):
        return np.array([x])
    if hasattr(x, "__array__") or isinstance(x, (list, tuple)):
        return np.asarray(x)
    raise NotImplementedError(f"Got {type(x)}, but numpy array or ember tensor are expected.")


def to_uint8(arr):
    """float images are in [0, 1], uint8 images in [0, 255]; both end as clipped uint8."""
    scale = 1 if arr.dtype == np.uint8 else 255
    return (arr.astype(np.float32) * scale).clip(0, 255).astype(np.uint8)


def make_grid(images, ncols=8):
    """NCHW images (C = 1 or 3) tiled into one 3-channel CHW canvas, row by row, zero-filled."""
    if images.shape[1] == 1:
        images = np.concatenate([images] * 3, axis=1)
    if images.ndim != 4 or images.shape[1] != 3:
        raise AssertionError("Input should be a 4D numpy array with 3 channels")
    n, _, h, w = images.shape
    ncols = min(n, ncols)
    nrows = -(-n // ncols)
    canvas = np.zeros((3, h * nrows, w * ncols), dtype=images.dtype)
    for i in range(n):
        r, c = divmod(i, ncols)
        canvas[:, r * h:(r + 1) * h, c * w:(c + 1) * w] = images[i]
    return canvas


def to_hwc(arr, dataformats):
    """An image (or a batch, tiled into a grid) in the given layout as HWC; gray becomes RGB."""
    fmt = dataformats.upper()
    if len(set(fmt)) != len(fmt):
        raise AssertionError(f"You can not use the same dimension shorthand twice. input_format: {dataformats}")
    if arr.ndim != len(fmt):
        raise AssertionError(f"size of input tensor and input format are different. "
                             f"tensor shape: {arr.shape}, input_format: {dataformats}")
    if len(fmt) == 4:
        return make_grid(arr.transpose([fmt.find(c) for c in "NCHW"])).transpose(1, 2, 0)
    if len(fmt) == 3:
        hwc = arr.transpose([fmt.find(c) for c in "HWC"])
        return np.concatenate([hwc] * 3, axis=2) if hwc.shape[2] == 1 else hwc
    if len(fmt) == 2:
        return np.stack([arr.transpose([fmt.find(c) for c in "HW"])] * 3, axis=2)
    raise AssertionError(f"unsupported dataformats {dataformats}")


def video_frames(vid):
    """(N, T, C, H, W) videos as (T, H', W', C) frames: the N clips tiled in a power-of-two grid."""
    if vid.dtype == np.uint8:
        vid = vid.astype(np.float32) / 255.0
    n, t, c, h, w = vid.shape
    if n & (n - 1):                                 # pad the batch to a power of two
        vid = np.concatenate([vid, np.zeros((2 ** n.bit_length() - n, t, c, h, w))], axis=0)
    rows = 2 ** ((n.bit_length() - 1) // 2)
    cols = vid.shape[0] // rows
    vid = vid.reshape(rows, cols, t, c, h, w).transpose(2, 0, 4, 1, 5, 3)
    return vid.reshape(t, rows * h, cols * w, c)


def figure_to_chw(figures, close=True):
    """Render matplotlib figure(s) with Agg: one CHW uint8 array, or an NCHW stack for a list."""
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    def render(fig):
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        w, h = fig.canvas.get_width_height()
        rgb = np.frombuffer(canvas.buffer_rgba(), dtype=np.uint8).reshape(h, w, 4)[:, :, :3]
        if close:
            plt.close(fig)
        return np.moveaxis(rgb, 2, 0)

    if isinstance(figures, list):
        return np.stack([render(f) for f in figures])
    return render(figures)
