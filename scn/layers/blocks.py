"""Wide-activation residual bodies and blocks (WDSR-A), the building block of every network here."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from .conv import conv2d, weight_of


class WideBody(nn.Module):
    """p(x) = conv3x3(F -> wF) -> ReLU -> conv3x3(wF -> F), the reference init (gains 2 and 1/sqrt(B))."""

    def __init__(self, features: int, width: int, num_blocks: int, weight_norm: bool) -> None:
        super().__init__()
        wide = features * width
        self.conv1 = conv2d(features, wide, 3, weight_norm=weight_norm, gain=2.0, zero_bias=True)
        self.act = nn.ReLU(inplace=True)
        self.conv2 = conv2d(wide, features, 3, weight_norm=weight_norm, gain=1.0 / math.sqrt(num_blocks),
                            zero_bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv2(self.act(self.conv1(x)))

    def weights(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The two convs' effective weights (weight norm applied), to compute once and `run` on many inputs."""
        return weight_of(self.conv1), weight_of(self.conv2)

    def run(self, x: torch.Tensor, weights: tuple[torch.Tensor, torch.Tensor],
            relu: Callable[[torch.Tensor], torch.Tensor] = torch.relu_) -> torch.Tensor:
        """p(x) with `weights` from `weights()`; `relu` acts in place on the first conv's output."""
        w1, w2 = weights
        h = relu(F.conv2d(x, w1, self.conv1.bias, padding=self.conv1.padding))
        return F.conv2d(h, w2, self.conv2.bias, padding=self.conv2.padding)


class WideResBlock(nn.Module):
    """x + res_scale * p(x): the single-scale WDSR-A block (res_scale 1 unless a control asks otherwise)."""

    def __init__(self, features: int, width: int, num_blocks: int, weight_norm: bool, res_scale: float = 1.0) -> None:
        super().__init__()
        self.body = WideBody(features, width, num_blocks, weight_norm)
        self.res_scale = res_scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.res_scale == 1.0:
            return x + self.body(x)
        return torch.add(x, self.body(x), alpha=self.res_scale)
