"""PSPNet style multi-scale baseline (the paper's Fig. 3 and Table 4).

The head's features are bilinearly down-scaled into S levels (2 in the paper); every level runs the same stack
of num_blocks WDSR blocks independently (weights shared across levels, so the parameter count stays that of an
8-block model, as Table 4 requires); the levels meet only at the output: y = y_0 + sum_s Up(q_s(y_s)) with q_s a
1x1 conv per coarser level.
"""

from __future__ import annotations

import torch
from torch import nn

from ..config import ModelConfig, register, register_architecture
from ..layers import WideResBlock, conv2d
from ..layers.resample import bilinear
from .base import RestorationNet, wide_body_macs
from .scn import build_pyramid


@register_architecture("pspnet")
class PSPNetStyle(RestorationNet):
    @classmethod
    def eval_depths(cls, config: ModelConfig) -> tuple[int, int | None]:
        return 1, config.num_scales  # fewer levels leave the coarser fusion convs unused

    @classmethod
    def body_macs(cls, config: ModelConfig, pixels: list[int]) -> int:
        f = config.num_features
        return config.num_blocks * sum(pixels) * wide_body_macs(config) + sum(pixels[1:]) * f * f

    def __init__(self, config: ModelConfig) -> None:
        super().__init__(config)
        c = config
        self.body = nn.Sequential(*[WideResBlock(c.num_features, c.width, c.num_blocks, c.weight_norm)
                                    for _ in range(c.num_blocks)])
        self.fuse = nn.ModuleList(conv2d(c.num_features, c.num_features, 1, weight_norm=c.weight_norm)
                                  for _ in range(c.num_scales - 1))

    def run_body(self, features: torch.Tensor, num_scales: int, ratio: float) -> torch.Tensor:
        levels = [self.body(x) for x in build_pyramid(features, ratio, num_scales,
                                                       self.config.align_corners)]
        size = (features.shape[-2], features.shape[-1])
        y = levels[0]
        for q, coarse in zip(self.fuse, levels[1:]):
            y = y + bilinear(q(coarse), size, self.config.align_corners)
        return y


register("pspnet_x2", "Table 4 PSPNet style: 2 levels x 8 shared blocks, fused at the output", arch="pspnet",
         num_blocks=8, num_scales=2)
