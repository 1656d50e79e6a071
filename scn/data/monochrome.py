"""Monochrome pictures stored as RGB: gray (R = G = B) or toned (sepia, cyanotype: every colour on one line, an
affine function of the luma). Their noise is alike in R, G and B, which gray denoisers remove and colour ones,
trained on noise independent in each channel, leave in: denoising takes their one channel through a gray model."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .color import FULL_RANGE_LUMA  # a gray picture's value is its luma

TOLERANCE = 1.0 / 255  # RMS distance of the colours from their line: 8-bit rounding leaves about 0.3 levels, while
# every colour picture of T91, BSD200, Kodak24, Set5, Set14, RNI15 and RealSRSet is 2.3 levels or more away
FIT_PIXELS = 250_000  # larger pictures are fitted on a regular subsample of about this many pixels


@dataclass(frozen=True)
class Monochrome:
    """How a monochrome picture's channels follow its luma: channel c = offsets[c] + slopes[c] * luma (values in
    [0, 1]); a gray picture (R = G = B) has offsets 0 and slopes 1 and is taken exactly."""

    offsets: np.ndarray
    slopes: np.ndarray

    @property
    def gray(self) -> bool:
        return bool(np.all(self.offsets == 0) and np.all(self.slopes == 1))

    def luma(self, rgb: np.ndarray) -> np.ndarray:
        """(H, W, 3) -> (H, W, 1) float32: the one channel a gray model restores."""
        if self.gray:
            return np.ascontiguousarray(rgb[..., :1], dtype=np.float32)
        return (rgb @ FULL_RANGE_LUMA.astype(np.float32))[..., None].astype(np.float32)

    def colour(self, luma: np.ndarray) -> np.ndarray:
        """(H, W, 1) restored luma -> (H, W, 3) float32 in [0, 1], toned as the picture was."""
        if self.gray:
            return np.repeat(luma, 3, axis=2)
        rgb = self.offsets.astype(np.float32) + self.slopes.astype(np.float32) * luma
        return np.clip(rgb, 0, 1).astype(np.float32)


def monochrome(rgb: np.ndarray, tolerance: float = TOLERANCE) -> Monochrome | None:
    """The line an (H, W, 3) RGB picture's colours lie on (float in [0, 1]), or None for a colour picture: R = G = B
    exactly, or every channel within `tolerance` RMS of an affine function of the luma (`fit_line`)."""
    if np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 1], rgb[..., 2]):
        return Monochrome(np.zeros(3), np.ones(3))
    fit = fit_line(rgb)
    return fit[0] if fit is not None and fit[1] <= tolerance else None


def fit_line(rgb: np.ndarray) -> tuple[Monochrome, float] | None:
    """Each channel of an (H, W, 3) RGB picture (float in [0, 1]) fitted as an affine function of the luma (least
    squares) over the pixels no channel clips, and the largest channel's RMS distance from its fit; None where
    fewer than half the pixels are unclipped or the picture is flat (its luma's spread within `TOLERANCE`)."""
    step = max(1, int(np.ceil(np.sqrt(rgb.shape[0] * rgb.shape[1] / FIT_PIXELS))))
    sample = rgb[::step, ::step].reshape(-1, 3).astype(np.float64)
    sample = sample[((sample > 0) & (sample < 1)).all(axis=1)]
    if len(sample) < 0.5 * rgb[::step, ::step, 0].size:
        return None
    luma = sample @ FULL_RANGE_LUMA
    spread = luma.var()
    if spread <= TOLERANCE ** 2:
        return None
    slopes = ((sample - sample.mean(axis=0)) * (luma - luma.mean())[:, None]).mean(axis=0) / spread
    offsets = sample.mean(axis=0) - slopes * luma.mean()
    residual = float(np.sqrt(((sample - offsets - luma[:, None] * slopes) ** 2).mean(axis=0)).max())
    return Monochrome(offsets, slopes), residual
