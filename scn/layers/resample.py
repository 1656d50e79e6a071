"""The feature pyramid's geometry and the resampling operators h_i of the scale-wise convolution."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..config import integer_factor
from .conv import conv2d, conv_transpose2d

Size = tuple[int, int]


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


def bilinear(x: torch.Tensor, size: Size, align_corners: bool) -> torch.Tensor:
    """Bilinear resize without anti-aliasing (the reference code's `F.interpolate`); to the same size it is the
    identity (source and destination grids coincide)."""
    return F.interpolate(x, size=size, mode="bilinear", align_corners=align_corners)


class Resampler(nn.Module):
    """h_i: brings a feature map from level s+i to level s (|i| levels apart; i < 0 finer, i > 0 coarser).

    kind 'bilinear': bilinear both ways, any ratio. 'avgpool': average pooling down, nearest up.
    'conv': a strided conv down / transposed conv up with kernel = stride = (1/ratio)**|i| (learned, per tap).
    """

    def __init__(self, kind: str, offset: int, ratio: float, features: int, align_corners: bool,
                 weight_norm: bool) -> None:
        super().__init__()
        self.kind, self.offset, self.align_corners = kind, offset, align_corners
        self.factor = (integer_factor(ratio) or 0) ** abs(offset)
        self.conv: nn.Module | None = None
        if kind == "conv":
            if offset < 0:
                self.conv = conv2d(features, features, self.factor, stride=self.factor, padding=0,
                                   weight_norm=weight_norm)
            else:
                self.conv = conv_transpose2d(features, features, self.factor, self.factor, weight_norm=weight_norm)

    def forward(self, x: torch.Tensor, size: Size) -> torch.Tensor:
        if self.kind == "bilinear":
            return bilinear(x, size, self.align_corners)
        if self.kind == "avgpool":
            if self.offset < 0:
                return F.avg_pool2d(x, self.factor)
            return F.interpolate(x, size=size, mode="nearest")
        assert self.conv is not None
        return self.conv(x)
