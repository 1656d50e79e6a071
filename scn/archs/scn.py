"""SCN: residual blocks with scale-wise convolution over a bilinear feature pyramid (shared or un-shared bodies)."""

from __future__ import annotations

import torch
from torch import nn

from ..config import ModelConfig
from ..layers import ScaleWiseConv, ScaleWiseResBlock, WideBody, level_sizes
from ..layers.resample import bilinear
from .base import RestorationNet


def build_pyramid(features: torch.Tensor, ratio: float, num_scales: int, align_corners: bool) -> list[torch.Tensor]:
    """Level 0 = `features`; each next level is the previous one bilinearly down-scaled (no anti-aliasing)."""
    sizes = level_sizes(features.shape[-2], features.shape[-1], ratio, num_scales)
    levels = [features]
    for size in sizes[1:]:
        levels.append(bilinear(levels[-1], size, align_corners))
    return levels


class SCN(RestorationNet):
    """Scale-wise convolutional network. With arch 'scn_unshared' each level has its own body (Table 5)."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__(config)
        c = config
        shared = c.arch == "scn"

        def body() -> WideBody:
            return WideBody(c.num_features, c.width, c.num_blocks, c.weight_norm)

        self.body = nn.ModuleList(
            ScaleWiseResBlock(ScaleWiseConv(
                body() if shared else [body() for _ in range(c.num_scales)],
                c.num_features, c.scale_kernel, c.resampler, c.ratio, c.ends, c.align_corners,
                c.center_pointwise, c.weight_norm))
            for _ in range(c.num_blocks)
        )

    def run_body(self, features: torch.Tensor, num_scales: int, ratio: float) -> torch.Tensor:
        levels = build_pyramid(features, ratio, num_scales, self.config.align_corners)
        for block in self.body:
            levels = block(levels)
        return levels[0]
