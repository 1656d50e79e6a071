"""Metrics on known pairs, the noise protocol, JPEG, colour conversion, and the self-ensemble."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.signal import correlate2d

from scn.data import add_gaussian_noise, jpeg_compress, rgb_to_y, rgb_to_ycbcr, ycbcr_to_rgb
from scn.inference.ensemble import dihedral, dihedral_inverse, self_ensemble
from scn.metrics import gray_scores, psnr, psnr_b, sr_scores, ssim
from scn.metrics.quality import blocking_effect_factor


def test_psnr_known_values() -> None:
    a = np.zeros((10, 10))
    assert psnr(a, a + 1) == pytest.approx(10 * math.log10(255**2))  # MSE 1 -> 48.13 dB
    assert psnr(a, a + 255) == pytest.approx(0.0)
    assert psnr(a, a) == math.inf


def naive_ssim(a: np.ndarray, b: np.ndarray) -> float:
    x = np.arange(11) - 5
    g = np.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / (2 * 1.5**2))
    w = g / g.sum()

    def f(img: np.ndarray) -> np.ndarray:
        return correlate2d(img, w, mode="valid")

    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    ma, mb = f(a), f(b)
    va, vb, cov = f(a * a) - ma**2, f(b * b) - mb**2, f(a * b) - ma * mb
    return float(np.mean((2 * ma * mb + c1) * (2 * cov + c2) / ((ma**2 + mb**2 + c1) * (va + vb + c2))))


def test_ssim_equals_the_2d_definition() -> None:
    rng = np.random.default_rng(1)
    a = rng.uniform(0, 255, (40, 33))
    b = np.clip(a + rng.normal(0, 20, a.shape), 0, 255)
    assert ssim(a, b) == pytest.approx(naive_ssim(a, b), abs=1e-12)
    assert ssim(a, a) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="at least 11x11"):
        ssim(a[:10], b[:10])


def test_psnr_b_penalises_blocking_only() -> None:
    rng = np.random.default_rng(2)
    ref = rng.uniform(50, 200, (64, 64))
    smooth = ref + rng.normal(0, 3, ref.shape)
    assert blocking_effect_factor(np.full((64, 64), 9.0)) == 0.0
    blocky = ref.copy()
    blocky += np.kron(rng.normal(0, 8, (8, 8)), np.ones((8, 8)))  # constant offset per 8x8 block
    assert blocking_effect_factor(blocky) > 0
    assert psnr_b(blocky, ref) < psnr(blocky, ref)
    assert psnr_b(smooth, ref) <= psnr(smooth, ref) + 1e-12


def test_y_and_protocol_scores() -> None:
    white = np.full((4, 4, 3), 255, np.uint8)
    assert rgb_to_y(white)[0, 0] == pytest.approx(235.0)
    assert rgb_to_y(np.zeros((2, 2, 3), np.uint8))[0, 0] == pytest.approx(16.0)
    rng = np.random.default_rng(3)
    rgb = rng.uniform(0, 1, (5, 5, 3))
    np.testing.assert_allclose(ycbcr_to_rgb(rgb_to_ycbcr(rgb)), rgb, atol=1e-12)
    hr = rng.integers(0, 256, (30, 30, 3), dtype=np.uint8)
    out = hr.copy()
    out[0, 0] = 0  # inside the border: ignored at scale 2
    assert sr_scores(out, hr, 2)["psnr"] == math.inf
    assert gray_scores(out[..., 0], hr[..., 0])["psnr"] < math.inf


def test_noise_protocol_is_numpys_seeded_stream_without_clipping() -> None:
    clean = np.linspace(0, 1, 64 * 64).reshape(64, 64)
    noisy = add_gaussian_noise(clean, 25, seed=0)
    np.random.seed(0)
    expected = clean + np.random.normal(0, 25 / 255, clean.shape)
    assert np.array_equal(noisy, expected)
    assert noisy.min() < 0 and noisy.max() > 1  # no clipping, no rounding
    assert np.array_equal(noisy, add_gaussian_noise(clean, 25, seed=0))
    assert not np.array_equal(noisy, add_gaussian_noise(clean, 25, seed=1))


def test_jpeg_is_deterministic_and_lossy() -> None:
    rng = np.random.default_rng(4)
    gray = (rng.uniform(0, 1, (48, 40)) * 255).astype(np.uint8)
    a, b = jpeg_compress(gray, 10), jpeg_compress(gray, 10)
    assert np.array_equal(a, b) and a.shape == gray.shape and a.dtype == np.uint8
    assert psnr(a, gray) < psnr(jpeg_compress(gray, 90), gray)
    with pytest.raises(ValueError, match="quality must be in 1..100"):
        jpeg_compress(gray, 0)


def test_self_ensemble() -> None:
    x = torch.rand(1, 2, 5, 7)
    for k in range(8):
        assert torch.equal(dihedral_inverse(dihedral(x, k), k), x)
    assert len({tuple(dihedral(x, k).flatten().tolist()) for k in range(8)}) == 8
    assert torch.allclose(self_ensemble(lambda t: t * 2 + 1, x), x * 2 + 1)
    shifted = self_ensemble(lambda t: torch.roll(t, 1, dims=-1), x)  # not equivariant: averaged
    assert not torch.allclose(shifted, torch.roll(x, 1, dims=-1))
