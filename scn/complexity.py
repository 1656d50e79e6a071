"""Parameter and multiply-accumulate counts of a network."""

from __future__ import annotations

import torch
from torch import nn

from .archs import build
from .config import ModelConfig


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def _conv_macs(module: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> int:
    if isinstance(module, nn.ConvTranspose2d):
        x = inputs[0]
        kh, kw = module.kernel_size
        return x.numel() * module.out_channels * kh * kw // module.groups
    assert isinstance(module, nn.Conv2d)
    kh, kw = module.kernel_size
    return output.numel() * (module.in_channels // module.groups) * kh * kw


def macs_per_pixel(config: ModelConfig, lr_size: int = 192, num_scales: int | None = None) -> float:
    """Conv multiply-accumulates per *output* pixel on an `lr_size`^2 input, counted on the meta device.

    Resampling (bilinear, pooling) and element-wise ops are not counted: they are < 1% here.
    """
    with torch.device("meta"):
        model = build(config)
    total = 0

    def hook(module: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        nonlocal total
        total += _conv_macs(module, inputs, output)

    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            m.register_forward_hook(hook)
    with torch.no_grad():
        model(torch.empty(1, config.channels, lr_size, lr_size, device="meta"), num_scales=num_scales)
    return total / float((lr_size * config.scale) ** 2)
