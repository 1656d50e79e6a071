"""DnCNN (Zhang et al., TIP 2017): 17 conv3x3 layers, 64 channels, predicting the noise; clean = x - net(x).

Two published layouts: KAIR's (`model.{0,2,..,32}`, BN merged into conv biases) and SaoYan's PyTorch port
(`dncnn.N`, convs without bias, BatchNorm in layers 2..16).
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from .weights import load_into, load_state_dict


def _layers(depth: int, channels: int, features: int, batch_norm: bool) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.Conv2d(channels, features, 3, padding=1, bias=not batch_norm), nn.ReLU(True)]
    for _ in range(depth - 2):
        layers.append(nn.Conv2d(features, features, 3, padding=1, bias=not batch_norm))
        if batch_norm:
            layers.append(nn.BatchNorm2d(features))
        layers.append(nn.ReLU(True))
    layers.append(nn.Conv2d(features, channels, 3, padding=1, bias=not batch_norm))
    return layers


class DnCNN(nn.Module):
    """Residual denoiser; `layout` 'kair' (merged BN, `model.*` keys) or 'saoyan' (BN, `dncnn.*` keys)."""

    def __init__(self, layout: str = "kair", depth: int = 17, channels: int = 1, features: int = 64) -> None:
        super().__init__()
        self.layout = layout
        layers = _layers(depth, channels, features, batch_norm=layout == "saoyan")
        if layout == "kair":
            self.model = nn.Sequential(*layers)
        else:
            self.dncnn = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        net = self.model if self.layout == "kair" else self.dncnn
        return x - net(x)


def load_dncnn(path: str | Path) -> DnCNN:
    """A DnCNN with published weights; the layout is recognised from the keys."""
    state = load_state_dict(path)
    layout = "saoyan" if any(k.startswith("dncnn.") for k in state) else "kair"
    model = DnCNN(layout)
    load_into(model, state, path, f"DnCNN ({layout})")
    return model.eval()
