"""How strong a picture's noise is, from the picture alone: Chen, Zhu and Heng, "An Efficient Statistical Method
for Image Noise Level Estimation" (ICCV 2015).

The picture's patches (7x7, every channel) span a space whose covariance has, for white Gaussian noise of variance
s^2, the eigenvalues of the clean patches plus s^2 each. Clean natural patches live near a low-dimensional subspace,
so the smallest eigenvalues are noise alone: the method takes the longest tail of the sorted eigenvalues whose mean
is no larger than its median (a tail of equal values has mean = median; signal adds large values that pull the
mean above the median) and returns sqrt of that mean.
"""

from __future__ import annotations

import numpy as np

PATCH = 7
MAX_PATCHES = 100_000  # a regular sub-grid of patch positions beyond this (the estimate needs far fewer)


def _patches(image: np.ndarray, size: int, max_patches: int) -> np.ndarray:
    """(n, size * size * channels) float64 patches of (H, W, C) `image` on a regular grid of positions."""
    h, w, c = image.shape
    positions = (h - size + 1) * (w - size + 1)
    stride = max(1, int(np.ceil(np.sqrt(positions / max_patches))))
    windows = np.lib.stride_tricks.sliding_window_view(image, (size, size), axis=(0, 1))[::stride, ::stride]
    return windows.reshape(-1, c * size * size).astype(np.float64)


def estimate_sigma(image: np.ndarray, patch: int = PATCH, max_patches: int = MAX_PATCHES) -> float:
    """The standard deviation of white Gaussian noise in `image`, on the 0-255 scale. `image`: (H, W) or
    (H, W, C), uint8 (0-255) or float (0-1). Pictures smaller than a patch give 0."""
    arr = np.asarray(image)
    values = arr.astype(np.float64) * (1.0 if arr.dtype == np.uint8 else 255.0)
    if values.ndim == 2:
        values = values[..., None]
    if values.ndim != 3 or min(values.shape[:2]) < patch:
        return 0.0
    patches = _patches(values, patch, max_patches)
    patches -= patches.mean(axis=0)
    eigenvalues = np.linalg.eigvalsh(patches.T @ patches / max(1, len(patches) - 1))  # ascending
    eigenvalues = np.clip(eigenvalues, 0.0, None)
    for start in range(len(eigenvalues) - 1, -1, -1):  # tails from the largest: the first that holds wins
        tail = eigenvalues[: start + 1]
        if tail.mean() <= np.median(tail):
            return float(np.sqrt(tail.mean()))
    return float(np.sqrt(eigenvalues[0]))
