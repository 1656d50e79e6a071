"""BT.601 colour conversions as MATLAB's rgb2ycbcr / ycbcr2rgb (studio swing, values on the 0..255 scale)."""

from __future__ import annotations

import numpy as np

_RGB_TO_YCBCR = np.array([[65.481, 128.553, 24.966],
                          [-37.797, -74.203, 112.0],
                          [112.0, -93.786, -18.214]]) / 255.0
_OFFSET = np.array([16.0, 128.0, 128.0])
FULL_RANGE_LUMA = np.array([0.299, 0.587, 0.114])  # BT.601 weights, full swing: how a colour photo turns gray


def _as_float255(img: np.ndarray) -> np.ndarray:
    return img.astype(np.float64) if img.dtype == np.uint8 else img.astype(np.float64) * 255.0


def rgb_to_y(img: np.ndarray) -> np.ndarray:
    """Y of an (H, W, 3) RGB image (uint8, or float in [0, 1]) as float64 on the 0..255 scale, not rounded:
    Y = 16 + 65.481 R + 128.553 G + 24.966 B for R, G, B in [0, 1]."""
    return _as_float255(img) @ _RGB_TO_YCBCR[0] + _OFFSET[0]


def rgb_to_ycbcr(img: np.ndarray) -> np.ndarray:
    """(H, W, 3) RGB (uint8 or float [0, 1]) -> float64 YCbCr on the 0..255 scale."""
    return _as_float255(img) @ _RGB_TO_YCBCR.T + _OFFSET


def ycbcr_to_rgb(ycbcr: np.ndarray) -> np.ndarray:
    """Inverse of `rgb_to_ycbcr`: float64 YCbCr (0..255 scale) -> float64 RGB in [0, 1] (not clipped)."""
    return (ycbcr - _OFFSET) @ np.linalg.inv(_RGB_TO_YCBCR).T / 255.0


def to_uint8(x: np.ndarray) -> np.ndarray:
    """Round half away from zero and saturate to uint8 (MATLAB's `uint8()`); `x` on the 0..255 scale."""
    return np.clip(np.floor(x + 0.5), 0, 255).astype(np.uint8)
