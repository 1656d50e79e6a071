"""PSNR, SSIM (Wang et al.'s ssim_index.m) and PSNR-B (Yim & Bovik 2011) on single-channel float64 images
with values on the 0..255 scale."""

from __future__ import annotations

import math

import numpy as np


def psnr(a: np.ndarray, b: np.ndarray, peak: float = 255.0) -> float:
    """10 log10(peak^2 / MSE) in float64; inf for identical images."""
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return math.inf if mse == 0 else 10.0 * math.log10(peak * peak / mse)


def _gaussian_window(size: int = 11, sigma: float = 1.5) -> np.ndarray:
    x = np.arange(size, dtype=np.float64) - (size - 1) / 2
    g = np.exp(-(x * x) / (2 * sigma * sigma))
    return g / g.sum()  # separable: the 2-D window is the outer product, normalised to sum 1


def _filter_valid(img: np.ndarray, g: np.ndarray) -> np.ndarray:
    """2-D correlation with the separable window g g^T, keeping only the 'valid' part."""
    from scipy.ndimage import correlate1d  # a third of a second to import: only when SSIM is scored

    half = len(g) // 2
    out = correlate1d(correlate1d(img, g, axis=0, mode="constant"), g, axis=1, mode="constant")
    return out[half:-half, half:-half]


def ssim(a: np.ndarray, b: np.ndarray, peak: float = 255.0) -> float:
    """Mean SSIM: 11x11 Gaussian window (sigma 1.5), 'valid' filtering, C1 = (0.01 L)^2, C2 = (0.03 L)^2."""
    a, b = a.astype(np.float64), b.astype(np.float64)
    if min(a.shape) < 11:
        raise ValueError(f"SSIM needs images of at least 11x11, got {a.shape}")
    g = _gaussian_window()
    c1, c2 = (0.01 * peak) ** 2, (0.03 * peak) ** 2
    mu_a, mu_b = _filter_valid(a, g), _filter_valid(b, g)
    var_a = _filter_valid(a * a, g) - mu_a**2
    var_b = _filter_valid(b * b, g) - mu_b**2
    cov = _filter_valid(a * b, g) - mu_a * mu_b
    ssim_map = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    return float(ssim_map.mean())


def blocking_effect_factor(img: np.ndarray, block: int = 8) -> float:
    """BEF: how much larger the squared differences across block boundaries are than inside blocks, scaled by
    log2(block) / log2(min(H, W)); 0 when boundaries are not worse."""
    img = img.astype(np.float64)
    h, w = img.shape
    dh = (img[:, :-1] - img[:, 1:]) ** 2  # horizontal neighbours, column pairs (j, j+1)
    dv = (img[:-1, :] - img[1:, :]) ** 2
    col_boundary = (np.arange(w - 1) % block) == block - 1
    row_boundary = (np.arange(h - 1) % block) == block - 1
    boundary = dh[:, col_boundary].sum() + dv[row_boundary, :].sum()
    inside = dh[:, ~col_boundary].sum() + dv[~row_boundary, :].sum()
    n_boundary = h * col_boundary.sum() + w * row_boundary.sum()
    n_inside = h * (~col_boundary).sum() + w * (~row_boundary).sum()
    if n_boundary == 0 or n_inside == 0:
        return 0.0
    d_b, d_bc = boundary / n_boundary, inside / n_inside
    return float(max(d_b - d_bc, 0.0) * math.log2(block) / math.log2(min(h, w)))


def psnr_b(restored: np.ndarray, reference: np.ndarray, peak: float = 255.0) -> float:
    """PSNR-B: 10 log10(peak^2 / (MSE + BEF(restored)))."""
    mse = float(np.mean((restored.astype(np.float64) - reference.astype(np.float64)) ** 2))
    total = mse + blocking_effect_factor(restored)
    return math.inf if total == 0 else 10.0 * math.log10(peak * peak / total)
