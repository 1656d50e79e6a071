"""Image quality metrics under the field's protocols (docs: shared PROTOCOL.md; ours: docs/evaluation.md)."""

from .quality import psnr, psnr_b, ssim
from .protocols import gray_scores, sr_scores

__all__ = ["psnr", "ssim", "psnr_b", "sr_scores", "gray_scores"]
