"""Tiled inference for big images: overlapping tiles blended with feathered (linear-ramp) weights that sum to
one, so no seam shows; the output is accumulated tile by tile, never the whole activation at once."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from ..config import ModelConfig


@dataclass(frozen=True)
class Footprint:
    """What tiling and colour handling need to know of a network: its scale and channels, where tiles may start
    (`alignment`), how much context a tile needs (`overlap`, input pixels) and a rough peak activation memory per
    input pixel (float32)."""

    scale: int
    channels: int
    alignment: int = 1
    overlap: int = 16
    bytes_per_pixel: float = 2048.0  # a generous default for networks that do not describe themselves
    inexact: str = ""  # why tiles differ from a whole-image run beyond blending ('' when they do not)

    @classmethod
    def of(cls, config: ModelConfig) -> "Footprint":
        """The footprint of a network of the family, as its architecture describes it from the configuration."""
        arch = config.architecture
        return cls(scale=config.scale, channels=config.channels, alignment=arch.size_multiple(config),
                   overlap=arch.tile_context(config), bytes_per_pixel=arch.activation_bytes_per_pixel(config),
                   inexact=arch.tiling_inexact(config))


def auto_tile(footprint: Footprint, height: int, width: int, max_memory: float) -> int:
    """0 when the whole image fits in `max_memory` bytes, else a tile side (input pixels) that does."""
    if height * width * footprint.bytes_per_pixel <= max_memory:
        return 0
    side = int(math.sqrt(max_memory / footprint.bytes_per_pixel))
    align = footprint.alignment
    return max(4 * align, side - side % align, 64)


def _spans(length: int, tile: int, step: int, align: int) -> list[tuple[int, int]]:
    """(start, end) of each tile along one axis: starts on multiples of `step` (itself a multiple of `align`);
    the last tile starts on the alignment too and runs to the end (up to align - 1 longer than `tile`), so
    every tile's pyramid samples the image in the same phase as the whole image's."""
    if length <= tile:
        return [(0, length)]
    last = (length - tile) // align * align
    starts = [s for s in range(0, last, step)] + [last]
    return [(a, min(a + tile, length)) for a in starts[:-1]] + [(last, length)]


def _ramp(ov: int) -> np.ndarray:
    """Rising weights across an overlap of `ov` samples: 0 over the outer third (next to the tile's edge, where
    its output suffers from the missing context), linear over the middle third, 1 over the inner third."""
    margin = ov // 3
    inner = max(1, ov - 2 * margin)
    return np.clip((np.arange(ov) - margin + 0.5) / inner, 0.0, 1.0)


def _weights_1d(spans: list[tuple[int, int]], length: int, scale: int) -> list[np.ndarray]:
    """Per tile, feathered ramps over each overlap with a neighbour; normalised so the tiles sum to one."""
    raw = []
    for i, (a, b) in enumerate(spans):
        w = np.ones((b - a) * scale, dtype=np.float64)
        if i > 0:
            ov = (spans[i - 1][1] - a) * scale
            if ov > 0:
                w[:ov] = np.minimum(w[:ov], _ramp(ov))
        if i + 1 < len(spans):
            ov = (b - spans[i + 1][0]) * scale
            if ov > 0:
                w[-ov:] = np.minimum(w[-ov:], _ramp(ov)[::-1])
        raw.append(w)
    total = np.zeros(length * scale)
    for (a, _), w in zip(spans, raw):
        total[a * scale: a * scale + len(w)] += w
    return [(w / total[a * scale: a * scale + len(w)]).astype(np.float32) for (a, _), w in zip(spans, raw)]


def tiled_forward(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, scale: int, tile: int,
                  overlap: int, align: int = 1, progress: Callable[[int, int], None] | None = None) -> torch.Tensor:
    """fn on overlapping `tile`-sized tiles of x (1, C, H, W), blended; output (1, C', H*scale, W*scale) on CPU."""
    _, _, h, w = x.shape
    if tile <= 0 or (h <= tile and w <= tile):
        return fn(x).float().cpu()
    overlap = min(overlap, tile // 2)
    step = max(1, tile - overlap)
    step -= step % align if step > align else 0  # tile origins in phase with the pyramid
    ys, xs = _spans(h, tile, step, align), _spans(w, tile, step, align)
    wy, wx = _weights_1d(ys, h, scale), _weights_1d(xs, w, scale)
    out: torch.Tensor | None = None
    done, total = 0, len(ys) * len(xs)
    for (y0, y1), wyi in zip(ys, wy):
        for (x0, x1), wxi in zip(xs, wx):
            y = fn(x[..., y0:y1, x0:x1]).float().cpu()
            if out is None:
                out = torch.zeros(1, y.shape[1], h * scale, w * scale)
            weight = torch.from_numpy(np.outer(wyi, wxi))
            out[..., y0 * scale: y0 * scale + y.shape[-2], x0 * scale: x0 * scale + y.shape[-1]] += y * weight
            done += 1
            if progress:
                progress(done, total)
    assert out is not None
    return out


def tiling_error_db(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, scale: int, tile: int,
                    overlap: int, align: int = 1) -> float:
    """PSNR (dB) between the 8-bit whole and tiled outputs on a sample of `x` from its middle, 2 x 2 tiles
    large: how far tiling moves this model's output on this image (inf when it does not)."""
    h, w = x.shape[-2:]
    side = max(2 * tile, 2 * align)
    sh, sw = min(h, side), min(w, side)
    y0, x0 = (h - sh) // 2 // align * align, (w - sw) // 2 // align * align  # from the middle, in phase
    sample = x[..., y0: y0 + sh, x0: x0 + sw]
    whole = torch.floor(fn(sample).float().cpu().clamp(0, 1) * 255 + 0.5)
    tiled = torch.floor(tiled_forward(fn, sample, scale, tile, overlap, align).clamp(0, 1) * 255 + 0.5)
    mse = float(((whole - tiled) ** 2).mean())
    return math.inf if mse == 0 else 10 * math.log10(255.0 ** 2 / mse)
