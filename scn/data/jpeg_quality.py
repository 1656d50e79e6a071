"""The quality a JPEG file was written with, read from its quantization tables (no guessing from pixels).

Encoders built on libjpeg (IJG: Pillow, OpenCV, ImageMagick, most web tools) scale one standard table by the
quality (1-100), so a file's luminance table names its quality exactly. Other encoders (many cameras, Photoshop)
use tables of their own; for those the IJG quality with the closest table (in log scale, entry by entry) is an
estimate, and `JpegQuality.exact` says which case it is.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image


@dataclass(frozen=True)
class JpegQuality:
    quality: int
    exact: bool  # the luminance table is libjpeg's at that quality; False: the closest one (other encoders)

    def describe(self) -> str:
        return f"JPEG quality {self.quality}" if self.exact else \
            f"JPEG quality about {self.quality} (its tables are not libjpeg's; the closest libjpeg quality)"


@functools.cache
def libjpeg_tables() -> np.ndarray:
    """(100, 64) luminance tables libjpeg writes at quality 1..100 (row q - 1), as Pillow reports them."""
    tiny = Image.new("L", (8, 8), 128)
    rows = []
    for quality in range(1, 101):
        buffer = io.BytesIO()
        tiny.save(buffer, format="JPEG", quality=quality)
        with Image.open(buffer) as im:
            rows.append(list(im.quantization[0]))
    return np.array(rows, dtype=np.float64)


def quality_from_table(table: list[int] | np.ndarray) -> JpegQuality:
    """The quality of a 64-entry luminance quantization table (Pillow's order)."""
    table = np.asarray(table, dtype=np.float64).reshape(-1)
    if table.size != 64 or np.any(table < 1):
        raise ValueError(f"a JPEG quantization table has 64 entries >= 1, got {table.size}")
    known = libjpeg_tables()
    same = np.flatnonzero(np.all(known == table, axis=1))
    if same.size:
        return JpegQuality(int(same[-1]) + 1, True)  # tables repeat only at the extremes: the higher quality
    distance = np.abs(np.log(known) - np.log(table)).mean(axis=1)
    return JpegQuality(int(np.argmin(distance)) + 1, False)


def jpeg_quality(source: str | Path | bytes | BinaryIO) -> JpegQuality | None:
    """The quality a JPEG (a path, its bytes or an open file) was written with; None for anything that is not a
    baseline/progressive JPEG with a luminance table."""
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    try:
        with Image.open(source) as im:
            if im.format != "JPEG":
                return None
            tables = getattr(im, "quantization", None) or {}
            return quality_from_table(tables[0]) if 0 in tables else None
    except (OSError, ValueError, SyntaxError):
        return None


__all__ = ["JpegQuality", "jpeg_quality", "quality_from_table", "libjpeg_tables"]
