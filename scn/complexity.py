"""Parameter and multiply-accumulate counts of a network.

`macs_per_pixel` is computed from the configuration (instant); `count_conv_macs` measures the same quantity on a
real forward pass (at dispatch), and the tests hold the two equal for the literal operator.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode

from .archs import RestorationNet  # noqa: F401  (registers the architectures whose rules are asked)
from .config import ModelConfig
from .layers.geometry import level_sizes, pad_multiple


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def _padded(size: int, multiple: int) -> int:
    return size + (-size) % multiple


def conv_macs(config: ModelConfig, height: int, width: int, num_scales: int | None = None) -> int:
    """Multiply-accumulates of every conv for one (height x width) input, from the configuration alone: the
    head, tail and skip here, the body from its architecture (`body_macs`)."""
    c = config
    levels = c.num_scales if num_scales is None else num_scales
    multiple = pad_multiple(c.ratio, levels)
    hp, wp = _padded(height, multiple), _padded(width, multiple)
    pix = [h * w for h, w in level_sizes(hp, wp, c.ratio, levels)]
    f, out = c.num_features, c.channels * c.scale * c.scale
    total = pix[0] * (c.in_channels * f * 9 + f * out * 9)
    if c.scale > 1:
        total += pix[0] * c.channels * out * 25
    return total + c.architecture.body_macs(c, pix)


def macs_per_pixel(config: ModelConfig, lr_size: int = 256, num_scales: int | None = None) -> float:
    """Conv multiply-accumulates per *output* pixel for an `lr_size`^2 input (resampling and element-wise
    ops are not counted: they are far below 1%)."""
    return conv_macs(config, lr_size, lr_size, num_scales) / float((lr_size * config.scale) ** 2)


class _ConvMacCounter(TorchDispatchMode):
    def __init__(self) -> None:
        super().__init__()
        self.total = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        out = func(*args, **(kwargs or {}))
        if func is torch.ops.aten.convolution.default:
            x, weight, transposed = args[0], args[1], args[6]  # groups is in the weight's shape already
            taps = weight.shape[2] * weight.shape[3]
            if transposed:  # weight (in, out/groups, kh, kw): every input value meets out/groups * taps weights
                self.total += x.numel() * weight.shape[1] * taps
            else:  # weight (out, in/groups, kh, kw)
                self.total += out.numel() * weight.shape[1] * taps
        return out


def count_conv_macs(model: nn.Module, x: torch.Tensor, **forward_kwargs: object) -> int:
    """Multiply-accumulates of every convolution a real forward pass on `x` runs, counted at dispatch (so it
    measures whichever code path runs: module calls or functional convs, packed canvases with their gaps)."""
    counter = _ConvMacCounter()
    with torch.no_grad(), counter:
        model(x, **forward_kwargs)
    return counter.total
