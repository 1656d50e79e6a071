"""WDSR-A: the single-scale baseline (wide-activation residual blocks, no pyramid, no fusion)."""

from __future__ import annotations

import torch
from torch import nn

from ..config import ModelConfig, register_architecture, register_family
from ..errors import ConfigError
from ..layers import WideResBlock
from .base import RestorationNet, wide_body_macs


@register_architecture("wdsr")
class WDSR(RestorationNet):
    own_fields = frozenset({"res_scale"})
    single_scale = True

    @classmethod
    def check_config(cls, config: ModelConfig) -> None:
        super().check_config(config)
        if not config.res_scale > 0.0:
            raise ConfigError(f"res_scale={config.res_scale} is not allowed; the residual scaling must be > 0")
        if config.num_scales != 1:
            raise ConfigError(f"num_scales={config.num_scales} is not allowed for arch 'wdsr'; it is single-scale (1)")

    @classmethod
    def body_macs(cls, config: ModelConfig, pixels: list[int]) -> int:
        return config.num_blocks * pixels[0] * wide_body_macs(config)

    def __init__(self, config: ModelConfig) -> None:
        super().__init__(config)
        c = config
        self.body = nn.Sequential(*[WideResBlock(c.num_features, c.width, c.num_blocks, c.weight_norm,
                                                 c.res_scale)
                                    for _ in range(c.num_blocks)])

    def run_body(self, features: torch.Tensor, num_scales: int, ratio: float) -> torch.Tensor:
        return self.body(features)


register_family("wdsr", "WDSR-A single-scale", num_scales=1)
