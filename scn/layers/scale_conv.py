"""The scale-wise convolution: x_s' = sum_{i=-k..k} h_i(q_i(p(x_{s+i}))) over a feature pyramid."""

from __future__ import annotations

import torch
from torch import nn

from .conv import conv2d
from .resample import Resampler


class ScaleTap(nn.Module):
    """One tap i != 0 (or the centre when it has a pointwise conv): q_i then h_i."""

    def __init__(self, offset: int, features: int, resampler: str, ratio: float, align_corners: bool,
                 weight_norm: bool) -> None:
        super().__init__()
        self.pointwise = conv2d(features, features, 1, weight_norm=weight_norm)
        self.resample = Resampler(resampler, offset, ratio, features, align_corners, weight_norm) if offset else None

    def forward(self, r: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        y = self.pointwise(r)
        return self.resample(y, size) if self.resample is not None else y


class ScaleWiseConv(nn.Module):
    """Scale-wise convolution with kernel 2k+1 across the levels of a pyramid (level 0 the finest).

    p is `spatial` (one module shared by every level) or `spatial_per_level` (the un-shared variant); q_i are
    1x1 convs with bias, one per tap and shared across levels (the centre is the identity unless
    `center_pointwise`); h_i resample towards level s after p, where channels are few.
    `ends='reference'`: a neighbour beyond the pyramid contributes the centre's p(x_s) unchanged; 'zero': nothing.
    """

    def __init__(self, spatial: nn.Module | list[nn.Module], features: int, k: int, resampler: str, ratio: float,
                 ends: str, align_corners: bool, center_pointwise: bool, weight_norm: bool) -> None:
        super().__init__()
        self.shared = not isinstance(spatial, list)
        self.spatial = spatial if self.shared else nn.ModuleList(spatial)
        self.k, self.ends = k, ends
        self.taps = nn.ModuleDict()
        for i in range(-k, k + 1):
            if i != 0 or center_pointwise:
                self.taps[self.tap_name(i)] = ScaleTap(i, features, resampler, ratio, align_corners, weight_norm)

    @staticmethod
    def tap_name(offset: int) -> str:
        return f"m{-offset}" if offset < 0 else f"p{offset}"

    def responses(self, xs: list[torch.Tensor]) -> list[torch.Tensor]:
        """p(x_s) for every level."""
        if self.shared:
            return [self.spatial(x) for x in xs]
        return [body(x) for body, x in zip(self.spatial, xs)]

    def forward(self, xs: list[torch.Tensor]) -> list[torch.Tensor]:
        rs = self.responses(xs)
        out = []
        for s, r in enumerate(rs):
            size = (r.shape[-2], r.shape[-1])
            acc = self.tap(0, r, size)
            for i in range(-self.k, self.k + 1):
                if i == 0:
                    continue
                j = s + i
                if 0 <= j < len(rs):
                    acc = acc + self.tap(i, rs[j], size)
                elif self.ends == "reference":
                    acc = acc + r
            out.append(acc)
        return out

    def tap(self, offset: int, r: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        name = self.tap_name(offset)
        return self.taps[name](r, size) if name in self.taps else r


class ScaleWiseResBlock(nn.Module):
    """x_s + ScaleWiseConv(X)_s for every level: SCN's residual block."""

    def __init__(self, conv: ScaleWiseConv) -> None:
        super().__init__()
        self.conv = conv

    def forward(self, xs: list[torch.Tensor]) -> list[torch.Tensor]:
        return [x + y for x, y in zip(xs, self.conv(xs))]
