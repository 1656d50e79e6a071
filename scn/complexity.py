"""Parameter and multiply-accumulate counts of a network.

`macs_per_pixel` is computed from the configuration (instant); `count_conv_macs` measures the same quantity with
forward hooks on a real forward pass, and the tests hold the two equal.
"""

from __future__ import annotations

import torch
from torch import nn

from .config import ModelConfig, integer_factor
from .layers.resample import level_sizes, pad_multiple


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def _padded(size: int, multiple: int) -> int:
    return size + (-size) % multiple


def conv_macs(config: ModelConfig, height: int, width: int, num_scales: int | None = None) -> int:
    """Multiply-accumulates of every conv for one (height x width) input, from the configuration alone."""
    c = config
    levels = c.num_scales if num_scales is None else num_scales
    multiple = pad_multiple(c.ratio, levels)
    hp, wp = _padded(height, multiple), _padded(width, multiple)
    pix = [h * w for h, w in level_sizes(hp, wp, c.ratio, levels)]
    f, out = c.num_features, c.channels * c.scale * c.scale
    body = 18 * c.width * f * f  # the two 3x3 convs of one wide-activation body, per pixel
    total = pix[0] * (c.channels * f * 9 + f * out * 9)
    if c.scale > 1:
        total += pix[0] * c.channels * out * 25
    if c.arch == "wdsr":
        return total + c.num_blocks * pix[0] * body
    if c.arch == "unet":
        return total + 2 * (c.num_blocks // (2 * levels)) * sum(pix) * body
    if c.arch == "pspnet":
        return total + c.num_blocks * sum(pix) * body + sum(pix[1:]) * f * f
    factor = integer_factor(c.ratio) or 1
    per_block = sum(pix) * body
    for s in range(levels):
        for i in range(-c.scale_kernel, c.scale_kernel + 1):
            if not 0 <= s + i < levels or (i == 0 and not c.center_pointwise):
                continue
            per_block += pix[s + i] * f * f  # q_i
            if c.resampler == "conv" and i:
                per_block += pix[max(s, s + i)] * f * f * factor ** (2 * abs(i))  # at the coarser level
    return total + c.num_blocks * per_block


def macs_per_pixel(config: ModelConfig, lr_size: int = 256, num_scales: int | None = None) -> float:
    """Conv multiply-accumulates per *output* pixel for an `lr_size`^2 input (resampling and element-wise
    ops are not counted: they are far below 1%)."""
    return conv_macs(config, lr_size, lr_size, num_scales) / float((lr_size * config.scale) ** 2)


def count_conv_macs(model: nn.Module, x: torch.Tensor, **forward_kwargs: object) -> int:
    """Multiply-accumulates of every Conv2d / ConvTranspose2d in a real forward pass on `x`, with hooks."""
    total = 0

    def hook(module: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        nonlocal total
        kh, kw = module.kernel_size  # type: ignore[misc]
        if isinstance(module, nn.ConvTranspose2d):
            total += inputs[0].numel() * module.out_channels * kh * kw // module.groups
        else:
            total += output.numel() * (module.in_channels // module.groups) * kh * kw  # type: ignore[operator]

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    try:
        with torch.no_grad():
            model(x, **forward_kwargs)
    finally:
        for h in handles:
            h.remove()
    return total
