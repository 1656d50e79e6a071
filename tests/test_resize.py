"""`scn.data.imresize` against MATLAB-made LR images, and its contract on synthetic data."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from scn.data import imresize, modcrop
from scn.data.resize import resize_matrix
from conftest import SHARED, needs_shared


@needs_shared
@pytest.mark.parametrize("scale", [2, 3, 4])
def test_matches_matlab_bicubic(scale: int) -> None:
    equal = total = worst = 0
    for test_set in ("Set5", "Set14"):
        for path in sorted((SHARED / "datasets/test" / test_set).glob("*.png")):
            hr = modcrop(np.array(Image.open(path)), scale)
            ours = imresize(hr, 1 / scale)
            matlab = np.array(Image.open(SHARED / "datasets/matlab_bicubic" / test_set / f"x{scale}" / path.name))
            assert ours.shape == matlab.shape and ours.dtype == np.uint8
            diff = np.abs(ours.astype(int) - matlab.astype(int))
            equal += int((diff == 0).sum())
            total += diff.size
            worst = max(worst, int(diff.max()))
    assert equal / total >= 0.99 and worst <= 1
    assert equal == total  # measured: every pixel equal at x2, x3, x4


def test_types_and_sizes() -> None:
    rng = np.random.default_rng(0)
    img8 = rng.integers(0, 256, (17, 23, 3), dtype=np.uint8)
    down = imresize(img8, 1 / 3)
    assert down.dtype == np.uint8 and down.shape == (6, 8, 3)  # ceil(17/3), ceil(23/3)
    up = imresize(img8[..., 0].astype(np.float32) / 255, 2.5)
    assert up.dtype == np.float32 and up.shape == (43, 58)
    assert imresize(img8, output_shape=(5, 40)).shape == (5, 40, 3)


def test_constant_image_stays_constant_and_rows_sum_to_one() -> None:
    flat = np.full((20, 30), 0.3)
    np.testing.assert_allclose(imresize(flat, 0.37), 0.3, atol=1e-12)
    np.testing.assert_allclose(imresize(flat, 3.0), 0.3, atol=1e-12)
    for scale in (0.25, 0.5, 2.0):
        m = resize_matrix(16, int(16 * scale), scale)
        np.testing.assert_allclose(m.sum(axis=1), 1.0)


def test_upscaling_interpolates_known_samples() -> None:
    # Keys' cubic reproduces linear ramps exactly away from the borders.
    ramp = np.tile(np.arange(32, dtype=np.float64), (8, 1))
    up = imresize(ramp, output_shape=(8, 64))
    expected = (np.arange(64) + 0.5) / 2 - 0.5
    np.testing.assert_allclose(up[:, 4:-4], np.tile(expected[4:-4], (8, 1)), atol=1e-12)


def test_uint8_rounds_half_away_from_zero_and_saturates() -> None:
    img = np.zeros((8, 8), dtype=np.uint8)
    img[:, 4:] = 255
    out = imresize(img, 2.0)
    assert out.min() == 0 and out.max() == 255  # cubic overshoot saturates instead of wrapping


@pytest.mark.parametrize("kwargs,match", [
    ({"scale": 0}, "scale must be > 0"), ({}, "exactly one of"), ({"scale": 2, "output_shape": (4, 4)}, "exactly one"),
    ({"scale": 2, "border": "wrap"}, "border="),
])
def test_errors(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        imresize(np.zeros((4, 4)), **kwargs)
    with pytest.raises(ValueError, match="uint8 or float"):
        imresize(np.zeros((4, 4), dtype=np.int32), 2)
