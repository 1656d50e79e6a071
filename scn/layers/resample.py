"""The resampling operators h_i of the scale-wise convolution (and the bilinear resize of the pyramid)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch import nn

from .conv import conv2d, conv_transpose2d
from .geometry import Size, integer_factor


ResizeOp = Callable[[torch.Tensor, int, int, bool], torch.Tensor]
_traced_resize: ResizeOp | None = None  # what `bilinear` calls while torch.export traces (see `resize_traced_as`)


def bilinear(x: torch.Tensor, size: Size, align_corners: bool) -> torch.Tensor:
    """Bilinear resize without anti-aliasing (the reference code's `F.interpolate`); to the same size it is the
    identity (source and destination grids coincide)."""
    if _traced_resize is not None and torch.compiler.is_exporting():
        return _traced_resize(x, size[0], size[1], align_corners)
    return F.interpolate(x, size=size, mode="bilinear", align_corners=align_corners)


@contextmanager
def resize_traced_as(op: ResizeOp) -> Iterator[None]:
    """Within this block, torch.export traces every bilinear resize as `op` (ONNX export: one opaque operator, not
    the dozens of index computations F.interpolate decomposes into under symbolic sizes)."""
    global _traced_resize
    before, _traced_resize = _traced_resize, op
    try:
        yield
    finally:
        _traced_resize = before


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
