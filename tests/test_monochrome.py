"""Monochrome pictures stored as RGB (gray, toned) found by the line their colours lie on, and colour ones not."""

from __future__ import annotations

import numpy as np

from scn.data.monochrome import Monochrome, monochrome
from conftest import photo_crop


def test_colours_on_one_line_are_monochrome_and_a_photo_is_not() -> None:
    photo = photo_crop() / np.float32(255)
    assert monochrome(photo) is None
    gray = np.repeat(photo[..., 1:2], 3, axis=2)
    assert monochrome(gray).gray
    noisy = photo[..., 1] * 255 + np.random.default_rng(0).normal(0, 50, photo.shape[:2])
    cyanotype = np.array([0.3, 0.6, 1.0])
    toned = np.clip(np.round(noisy[..., None] * cyanotype + [10, 20, 30]), 0, 255) / 255  # noisy, clipped, rounded
    line = monochrome(toned)
    assert line is not None and not line.gray
    assert np.allclose(line.slopes / line.slopes[2], cyanotype, atol=0.01)
    unclipped = ((toned > 0) & (toned < 1)).all(axis=2)
    back = line.colour(line.luma(toned))
    assert np.abs(back - toned)[unclipped].max() < 2 / 255  # the line gives the picture back where none clipped
    tinted = toned + np.random.default_rng(1).normal(0, 2 / 255, toned.shape)  # colour off the line: a colour photo
    assert monochrome(np.clip(tinted, 0, 1)) is None
    assert monochrome(np.full((8, 8, 3), 0.5, np.float32) * [1, 0.9, 0.8]) is None  # flat: no line to find


def test_a_gray_line_is_taken_exactly() -> None:
    gray = np.repeat(np.random.default_rng(0).random((5, 7, 1), dtype=np.float32), 3, axis=2)
    line = Monochrome(np.zeros(3), np.ones(3))
    assert np.array_equal(line.luma(gray), gray[..., :1]) and np.array_equal(line.colour(gray[..., :1]), gray)
