"""Scores as the field reports them: SR on Y with a border of `scale` pixels cropped; gray tasks uncropped."""

from __future__ import annotations

import numpy as np

from ..data.color import rgb_to_y
from .quality import psnr, psnr_b, ssim


def sr_scores(output: np.ndarray, hr: np.ndarray, scale: int) -> dict[str, float]:
    """PSNR / SSIM of uint8 RGB `output` vs. `hr` on float Y (BT.601), `scale` border pixels cropped."""
    if output.shape != hr.shape:
        raise ValueError(f"output {output.shape} and ground truth {hr.shape} differ in shape")
    y_out = rgb_to_y(output) if output.ndim == 3 else output.astype(np.float64)
    y_hr = rgb_to_y(hr) if hr.ndim == 3 else hr.astype(np.float64)
    if scale:
        y_out, y_hr = y_out[scale:-scale, scale:-scale], y_hr[scale:-scale, scale:-scale]
    return {"psnr": psnr(y_out, y_hr), "ssim": ssim(y_out, y_hr)}


def gray_scores(output: np.ndarray, clean: np.ndarray, with_psnr_b: bool = False) -> dict[str, float]:
    """PSNR / SSIM (and PSNR-B) of uint8 `output` vs. `clean`, no crop. Gray (H, W) images as they are; colour
    (H, W, 3) ones as colour denoising and deblocking are reported: PSNR over every RGB value, SSIM and PSNR-B the
    mean over the three channels."""
    if output.shape != clean.shape:
        raise ValueError(f"output {output.shape} and ground truth {clean.shape} differ in shape")
    channels = [(output, clean)] if output.ndim == 2 else [(output[..., c], clean[..., c]) for c in range(3)]
    scores = {"psnr": psnr(output, clean), "ssim": float(np.mean([ssim(o, c) for o, c in channels]))}
    if with_psnr_b:
        scores["psnr_b"] = float(np.mean([psnr_b(o, c) for o, c in channels]))
    return scores
