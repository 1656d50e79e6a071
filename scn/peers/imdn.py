"""IMDN (Hui et al., ACM MM 2019): information multi-distillation network for lightweight SR.

64 features, 6 IMDB modules; each distils 1/4 of its channels after every 3x3 conv (leaky ReLU 0.05), fuses
the distilled parts with contrast-aware channel attention (std + mean pooling), a 1x1 conv and a residual; the
modules' outputs are concatenated, fused by 1x1 + leaky ReLU, a 3x3 conv with a long skip, and a
conv + PixelShuffle upsampler. RGB in [0, 1], no mean shift.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import CheckpointError
from .weights import load_into, load_state_dict

_SLOPE = 0.05


class ContrastChannelAttention(nn.Module):
    def __init__(self, channels: int, reduction: int = 16) -> None:
        super().__init__()
        self.conv_du = nn.Sequential(nn.Conv2d(channels, channels // reduction, 1), nn.ReLU(True),
                                     nn.Conv2d(channels // reduction, channels, 1), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(dim=(2, 3), keepdim=True)
        std = (x - mean).pow(2).mean(dim=(2, 3), keepdim=True).sqrt()
        return x * self.conv_du(std + mean)


class IMDB(nn.Module):
    def __init__(self, channels: int = 64, distill: float = 0.25) -> None:
        super().__init__()
        self.kept = int(channels * distill)
        self.rest = channels - self.kept
        self.c1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.c2 = nn.Conv2d(self.rest, channels, 3, padding=1)
        self.c3 = nn.Conv2d(self.rest, channels, 3, padding=1)
        self.c4 = nn.Conv2d(self.rest, self.kept, 3, padding=1)
        self.c5 = nn.Conv2d(4 * self.kept, channels, 1)
        self.cca = ContrastChannelAttention(4 * self.kept)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        distilled = []
        y = x
        for conv in (self.c1, self.c2, self.c3):
            kept, y = torch.split(F.leaky_relu(conv(y), _SLOPE), (self.kept, self.rest), dim=1)
            distilled.append(kept)
        distilled.append(self.c4(y))
        return self.c5(self.cca(torch.cat(distilled, dim=1))) + x


class IMDN(nn.Module):
    def __init__(self, scale: int, channels: int = 3, features: int = 64, modules: int = 6) -> None:
        super().__init__()
        self.fea_conv = nn.Conv2d(channels, features, 3, padding=1)
        for i in range(modules):
            self.add_module(f"IMDB{i + 1}", IMDB(features))
        self.num_modules = modules
        self.c = nn.Sequential(nn.Conv2d(features * modules, features, 1), nn.LeakyReLU(_SLOPE, True))
        self.LR_conv = nn.Conv2d(features, features, 3, padding=1)
        self.upsampler = nn.Sequential(nn.Conv2d(features, channels * scale * scale, 3, padding=1),
                                       nn.PixelShuffle(scale))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.fea_conv(x)
        outs = []
        y = features
        for i in range(self.num_modules):
            y = getattr(self, f"IMDB{i + 1}")(y)
            outs.append(y)
        return self.upsampler(self.LR_conv(self.c(torch.cat(outs, dim=1))) + features)


def load_imdn(path: str | Path) -> IMDN:
    """An IMDN with published weights; the scale is read from the upsampler's shape."""
    state = load_state_dict(path)
    out = state.get("upsampler.0.weight")
    scale = int(round((out.shape[0] / 3) ** 0.5)) if out is not None else 0
    if scale < 1:
        raise CheckpointError(f"{path}: no upsampler.0.weight: not an IMDN weight file")
    model = IMDN(scale)
    load_into(model, state, path, "IMDN")
    return model.eval()
