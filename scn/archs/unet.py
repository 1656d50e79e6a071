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

from ..config import ModelConfig
from ..layers import WideResBlock, level_sizes
from ..layers.resample import bilinear
from .base import RestorationNet


class UNetStyle(RestorationNet):
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
