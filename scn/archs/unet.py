"""U-Net style multi-scale baseline (the paper's Fig. 3 and Table 4).

S levels; an encoder stage of WDSR blocks at every level going down, a decoder stage at every level going up,
num_blocks / (2S) blocks per stage (2 per stage, 8 in all, for the paper's 2-level, 8-block model).
Down: bilinear down-scaling by `ratio`; up: bilinear back to the finer level's size, then the encoder's
features of that level are added (the "linear composition by skip connections"); every stage has its own
weights. Parameter count = head + tail + 8 blocks, i.e. SCN's 8-block size minus its 1x1 fusion convs.
"""

from __future__ import annotations

import torch
from torch import nn

from ..config import ModelConfig, register, register_architecture
from ..errors import ConfigError
from ..layers import WideResBlock, level_sizes
from ..layers.resample import bilinear
from .base import RestorationNet, wide_body_macs


@register_architecture("unet")
class UNetStyle(RestorationNet):
    @classmethod
    def check_config(cls, config: ModelConfig) -> None:
        super().check_config(config)
        if config.num_scales < 2:
            raise ConfigError("arch 'unet' needs num_scales >= 2")
        if config.num_blocks % (2 * config.num_scales):
            raise ConfigError(f"arch 'unet' splits num_blocks={config.num_blocks} over 2*num_scales="
                              f"{2 * config.num_scales} encoder/decoder stages; use a multiple of it")

    @classmethod
    def body_macs(cls, config: ModelConfig, pixels: list[int]) -> int:
        return 2 * (config.num_blocks // (2 * len(pixels))) * sum(pixels) * wide_body_macs(config)

    def __init__(self, config: ModelConfig) -> None:
        super().__init__(config)
        c = config
        per_stage = c.num_blocks // (2 * c.num_scales)

        def stage() -> nn.Sequential:
            return nn.Sequential(*[WideResBlock(c.num_features, c.width, c.num_blocks, c.weight_norm)
                                   for _ in range(per_stage)])

        self.encoder = nn.ModuleList(stage() for _ in range(c.num_scales))
        self.decoder = nn.ModuleList(stage() for _ in range(c.num_scales))

    def run_body(self, features: torch.Tensor, num_scales: int, ratio: float) -> torch.Tensor:
        ac = self.config.align_corners
        sizes = level_sizes(features.shape[-2], features.shape[-1], ratio, num_scales)
        skips = []
        y = features
        for s, stage in enumerate(self.encoder):
            if s:
                y = bilinear(y, sizes[s], ac)
            y = stage(y)
            skips.append(y)
        for s in reversed(range(num_scales)):
            if s < num_scales - 1:
                y = bilinear(y, sizes[s], ac) + skips[s]
            y = self.decoder[s](y)
        return y


register("unet_x2", "Table 4 U-Net style: 2 levels, 2 blocks per stage, 8 blocks", arch="unet", num_blocks=8,
         num_scales=2)
