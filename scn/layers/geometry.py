"""The feature pyramid's geometry: level sizes, the padding multiple, integer down-scaling factors."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

Size = tuple[int, int]


def integer_factor(ratio: float) -> int | None:
    """1/ratio when it is an integer (ratio 1/2 -> 2, 1/3 -> 3), else None."""
    inverse = 1.0 / ratio
    nearest = round(inverse)
    return nearest if nearest >= 2 and math.isclose(inverse, nearest, rel_tol=1e-9) else None


def pad_multiple(ratio: float, num_scales: int) -> int:
    """The multiple the input is padded to so every level of an integer-factor pyramid has an exact size.

    Ratio 1/m with S levels needs m**(S-1); other ratios (2/3, 3/4) are resampled bilinearly to rounded sizes
    and need no padding.
    """
    factor = integer_factor(ratio)
    return factor ** (num_scales - 1) if factor else 1


def level_sizes(height: int, width: int, ratio: float, num_scales: int) -> list[Size]:
    """Spatial size of each pyramid level, level 0 the finest: round(size * ratio**s), at least 1.

    For ratio 1/m the input is padded to a multiple of m**(S-1), and the sizes are the exact integer quotients
    (written as floor division so that exported graphs keep height and width symbolic)."""
    factor = integer_factor(ratio)
    exact = torch.compiler.is_exporting() or (height % factor ** (num_scales - 1) == 0
                                              and width % factor ** (num_scales - 1) == 0) if factor else False
    if factor and exact:
        return [(height // factor**s, width // factor**s) for s in range(num_scales)]
    return [(max(1, round(height * ratio**s)), max(1, round(width * ratio**s))) for s in range(num_scales)]


def pad_to_multiple(x: torch.Tensor, multiple: int) -> torch.Tensor:
    """Replicate-pad right/bottom so height and width are multiples of `multiple` (as the reference code)."""
    if multiple == 1:
        return x
    h, w = x.shape[-2:]
    if not torch.compiler.is_exporting() and h % multiple == 0 and w % multiple == 0:
        return x
    return F.pad(x, (0, (-w) % multiple, 0, (-h) % multiple), mode="replicate")
