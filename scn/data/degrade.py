"""The degradations of the three tasks, one implementation each, shared by evaluation and training."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from .resize import imresize


def modcrop(img: np.ndarray, multiple: int) -> np.ndarray:
    """Crop right/bottom so height and width are multiples of `multiple`."""
    h, w = img.shape[:2]
    return img[: h - h % multiple, : w - w % multiple]


def bicubic_downscale(hr: np.ndarray, scale: int) -> np.ndarray:
    """The SR degradation: MATLAB `imresize(hr, 1/scale, 'bicubic')` (hr should be modcropped by `scale`)."""
    return imresize(hr, 1.0 / scale)


def add_gaussian_noise(clean: np.ndarray, sigma: float, seed: int | None = 0,
                       rng: np.random.RandomState | None = None) -> np.ndarray:
    """The denoising degradation: clean (float in [0, 1]) + N(0, (sigma/255)^2), float64, not clipped, not
    rounded. `seed` reproduces the protocol's `np.random.seed(seed)` then `np.random.normal(...)`; pass `rng`
    to draw from a generator of your own instead (training)."""
    generator = rng if rng is not None else np.random.RandomState(seed)
    return clean.astype(np.float64) + generator.normal(0.0, sigma / 255.0, clean.shape)


def clip_to_8_bits(degraded: np.ndarray) -> np.ndarray:
    """Noisy values in [0, 1] as an 8-bit file holds them: clipped to [0, 1] and rounded to 1/255 (DnCNN's and
    FFDNet's 'clip' demos; the tables' protocol leaves them unclipped)."""
    return np.round(np.clip(degraded, 0.0, 1.0) * 255.0) / 255.0


def jpeg_compress(image: np.ndarray, quality: int) -> np.ndarray:
    """The JPEG degradation: encode a uint8 gray (H, W) or RGB (H, W, 3) image with libjpeg (Pillow) at `quality`
    and decode it. Colour is encoded as Pillow (and most cameras and editors) write it: YCbCr with 4:2:0 chroma
    subsampling."""
    gray = image.ndim == 2
    if image.dtype != np.uint8 or not (gray or (image.ndim == 3 and image.shape[2] == 3)):
        raise ValueError(f"jpeg_compress takes a uint8 (H, W) gray or (H, W, 3) RGB image, got {image.dtype} "
                         f"{image.shape}")
    if not 1 <= quality <= 100:
        raise ValueError(f"JPEG quality must be in 1..100, got {quality}")
    mode = "L" if gray else "RGB"
    options = {"quality": int(quality)} if gray else {"quality": int(quality), "subsampling": 2}  # 2: 4:2:0
    buf = io.BytesIO()
    Image.fromarray(image, mode=mode).save(buf, format="JPEG", **options)
    buf.seek(0)
    return np.array(Image.open(buf).convert(mode))
