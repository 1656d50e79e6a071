"""The scale-wise convolution: x_s' = sum_{i=-k..k} h_i(q_i(p(x_{s+i}))) over a feature pyramid."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .blocks import WideBody
from .conv import conv2d, weight_of
from .resample import Resampler


class ScaleTap(nn.Module):
    """One tap i != 0 (or the centre when it has a pointwise conv): q_i then h_i."""

    def __init__(self, offset: int, features: int, resampler: str, ratio: float, align_corners: bool,
                 weight_norm: bool) -> None:
        super().__init__()
        self.pointwise = conv2d(features, features, 1, weight_norm=weight_norm)
        self.resample = Resampler(resampler, offset, ratio, features, align_corners, weight_norm) if offset else None

    def forward(self, r: torch.Tensor, size: tuple[int, int], weight: torch.Tensor | None = None) -> torch.Tensor:
        """h_i(q_i(r)); `weight`: q_i's weight when the caller computed it already (once for all levels).

        A fixed down-sampling (bilinear, average) commutes with the 1x1 conv q_i (both linear, and the
        resampling weights sum to one, so the bias passes through): it runs first, so q_i works at the coarser
        level, on 1/4 of the pixels. Learned resamplers keep the order of the equation."""
        weight = weight_of(self.pointwise) if weight is None else weight
        if self.resample is None:
            return F.conv2d(r, weight, self.pointwise.bias)
        if self.resample.offset < 0 and self.resample.kind != "conv":
            return F.conv2d(self.resample(r, size), weight, self.pointwise.bias)
        return self.resample(F.conv2d(r, weight, self.pointwise.bias), size)


class ScaleWiseConv(nn.Module):
    """Scale-wise convolution with kernel 2k+1 across the levels of a pyramid (level 0 the finest).

    p is `spatial` (one module shared by every level) or `spatial_per_level` (the un-shared variant); q_i are
    1x1 convs with bias, one per tap and shared across levels (the centre is the identity unless
    `center_pointwise`); h_i resample towards level s after p, where channels are few.
    `ends='reference'`: a neighbour beyond the pyramid contributes the centre's p(x_s) unchanged; 'zero': nothing.
    """

    def __init__(self, spatial: WideBody | list[WideBody], features: int, k: int, resampler: str, ratio: float,
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
        """p(x_s) for every level of `xs` (a shared body's weights normalised once for all levels)."""
        if not self.shared:
            return [body(x) for body, x in zip(self.spatial, xs)]
        weights = self.spatial.weights()
        # coarse to fine: the finest response, the largest, is fresh in the cache when `fuse` starts with it
        return [self.spatial.run(x, weights) for x in reversed(xs)][::-1]

    def forward(self, xs: list[torch.Tensor]) -> list[torch.Tensor]:
        return self.fuse(xs, residual=False)

    def fuse(self, xs: list[torch.Tensor], residual: bool, outputs: int | None = None,
             num_levels: int | None = None) -> list[torch.Tensor]:
        """sum_i h_i(q_i(p(x_{s+i}))) for every level s, plus x_s when `residual`. Terms made here are summed in
        place; p(x_s) itself enters once per use (centre, missing neighbours) as one scaled add.

        `outputs`: only the finest `outputs` levels are wanted (the last blocks of a network, whose coarse levels
        nothing reads); then `xs` needs only the finest `outputs + k` levels of a pyramid of `num_levels`."""
        num_levels = len(xs) if num_levels is None else num_levels
        outputs = num_levels if outputs is None else min(outputs, num_levels)
        needed = min(num_levels, outputs + self.k)
        if len(xs) < needed:
            raise ValueError(f"{outputs} output levels of a {num_levels}-level pyramid need {needed} input levels, "
                             f"got {len(xs)}")
        rs = self.responses(xs[:needed])
        weights = {name: weight_of(tap.pointwise) for name, tap in self.taps.items()}
        out = []
        for s, r in enumerate(rs[:outputs]):
            size = (r.shape[-2], r.shape[-1])
            terms, uses_of_r = [], 0
            for i in range(-self.k, self.k + 1):
                name = self.tap_name(i)
                if not 0 <= s + i < num_levels:
                    uses_of_r += self.ends == "reference"
                elif name in self.taps:
                    terms.append(self.taps[name](rs[s + i], size, weights[name]))
                else:  # the identity centre
                    uses_of_r += 1
            if terms:
                acc = terms[0]
                for term in terms[1:]:
                    acc = acc.add_(term)
                if uses_of_r:
                    acc = acc.add_(r, alpha=uses_of_r)
                out.append(acc.add_(xs[s]) if residual else acc)
            elif residual:
                out.append(torch.add(xs[s], r, alpha=uses_of_r) if uses_of_r else xs[s])
            else:
                out.append(r * uses_of_r)
        return out


class ScaleWiseResBlock(nn.Module):
    """x_s + ScaleWiseConv(X)_s for every level: SCN's residual block."""

    def __init__(self, conv: ScaleWiseConv) -> None:
        super().__init__()
        self.conv = conv

    def forward(self, xs: list[torch.Tensor], outputs: int | None = None,
                num_levels: int | None = None) -> list[torch.Tensor]:
        """The finest `outputs` levels (default all) of a pyramid of `num_levels` (default len(xs))."""
        return self.conv.fuse(xs, residual=True, outputs=outputs, num_levels=num_levels)
