"""WDSR-A: the single-scale baseline (wide-activation residual blocks, no pyramid, no fusion)."""

from __future__ import annotations

import torch
from torch import nn

from ..config import ModelConfig
from ..layers import WideResBlock
from .base import RestorationNet


class WDSR(RestorationNet):
    def __init__(self, config: ModelConfig) -> None:
        super().__init__(config)
        c = config
        self.body = nn.Sequential(*[WideResBlock(c.num_features, c.width, c.num_blocks, c.weight_norm)
                                    for _ in range(c.num_blocks)])

    def run_body(self, features: torch.Tensor, num_scales: int, ratio: float) -> torch.Tensor:
        return self.body(features)
