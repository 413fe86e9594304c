"""ember.vision.utils against torchvision 0.29 outputs (fixtures/transforms.npz)."""
import os

import numpy as np
import pytest
from PIL import Image

import ember
from ember.vision import utils

FIX = np.load(os.path.join(os.path.dirname(__file__), "fixtures", "transforms.npz"))


def batch():
    return ember.from_numpy(FIX["grid_in"].copy())


def rgb():
    return ember.from_numpy(FIX["in_rgb"].transpose(2, 0, 1).copy())


def test_make_grid_default():
    g = utils.make_grid(batch())
    assert g.dtype == ember.float32
    np.testing.assert_array_equal(g.numpy(), FIX["grid_default"])


def test_make_grid_options():
    np.testing.assert_allclose(utils.make_grid(batch(), nrow=2, padding=1, normalize=True, pad_value=0.5).numpy(),
                               FIX["grid_opts"], rtol=1e-6, atol=1e-7)
    out = utils.make_grid(batch(), nrow=3, normalize=True, value_range=(-0.5, 1.5), scale_each=True)
    np.testing.assert_allclose(out.numpy(), FIX["grid_range"], rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(utils.make_grid(batch()[:, :1]).numpy(), FIX["grid_gray"])
    np.testing.assert_array_equal(utils.make_grid(list(batch()[:2]), padding=0).numpy(), FIX["grid_list"])


def test_make_grid_single_and_errors():
    x = batch()
    np.testing.assert_array_equal(utils.make_grid(x[:1]).numpy(), x[0].numpy())
    assert utils.make_grid(ember.zeros(5, 6)).shape == (3, 5, 6)
    with pytest.raises(TypeError, match="tensor or list of tensors expected, got <class 'int'>"):
        utils.make_grid(3)
    with pytest.raises(TypeError, match="value_range has to be a tuple"):
        utils.make_grid(x, normalize=True, value_range=[0, 1])


def test_save_image(tmp_path):
    path = tmp_path / "grid.png"
    utils.save_image(batch().clamp(0, 1), str(path), nrow=4)
    np.testing.assert_array_equal(np.asarray(Image.open(path)), FIX["save_image"])
    utils.save_image(batch()[0].clamp(0, 1), str(tmp_path / "one.jpg"))
    assert Image.open(tmp_path / "one.jpg").size == (9, 8)


def test_draw_bounding_boxes():
    boxes = ember.tensor([[2, 3, 20, 15], [10, 8, 30, 21]], dtype=ember.float32)
    out = utils.draw_bounding_boxes(rgb(), boxes, colors=["red", (0, 255, 0)], width=2)
    assert out.dtype == ember.uint8
    np.testing.assert_array_equal(out.numpy(), FIX["boxes"])
    out = utils.draw_bounding_boxes(rgb(), boxes, fill=True, colors="blue")
    np.testing.assert_array_equal(out.numpy(), FIX["boxes_fill"])
    labelled = utils.draw_bounding_boxes(rgb(), boxes, labels=["a", "b"])
    assert labelled.shape == (3, 24, 33)
    f = utils.draw_bounding_boxes(rgb().float() / 255, boxes)
    assert f.dtype == ember.float32
    with pytest.raises(ValueError, match="Boxes need to be in \\(xmin, ymin, xmax, ymax\\) format"):
        utils.draw_bounding_boxes(rgb(), ember.tensor([[5.0, 5.0, 1.0, 9.0]]))
    with pytest.raises(ValueError, match="Number of boxes \\(2\\) and labels \\(1\\) mismatch"):
        utils.draw_bounding_boxes(rgb(), boxes, labels=["x"])


def test_draw_segmentation_masks():
    masks = np.zeros((2, 24, 33), bool)
    masks[0, 3:15, 5:25] = True
    masks[1, 10:22, 14:31] = True
    out = utils.draw_segmentation_masks(rgb(), ember.from_numpy(masks), alpha=0.6, colors=["red", "#00ff80"])
    np.testing.assert_array_equal(out.numpy(), FIX["masks"])
    with pytest.raises(ValueError, match="The masks must be of dtype bool. Got ember.uint8"):
        utils.draw_segmentation_masks(rgb(), ember.from_numpy(masks.astype(np.uint8)))


def test_draw_keypoints():
    kps = ember.tensor([[[5.0, 6.0], [20.0, 12.0], [28.0, 20.0]]])
    out = utils.draw_keypoints(rgb(), kps, connectivity=[(0, 1), (1, 2)], colors="yellow", radius=2, width=1)
    np.testing.assert_array_equal(out.numpy(), FIX["keypoints"])
    with pytest.raises(ValueError, match="keypoints must be of shape \\(num_instances, K, 2\\)"):
        utils.draw_keypoints(rgb(), ember.zeros(3, 2))
