"""Where training starts: ways to set a fresh network's weights so that its first steps are not wasted.

`zero_tail`: the residual branch starts at zero. `zero_blocks`: every residual block starts as the identity
(Fixup / ReZero). `bicubic_skip`: the SR skip conv starts as MATLAB bicubic interpolation, so with a zero tail
the network begins exactly at the bicubic baseline and learns only the residual (as VDSR's global residual).
"""

from __future__ import annotations

import torch

from ..archs import RestorationNet
from ..data.resize import resize_matrix
from ..layers import WideBody
from ..layers.scale_conv import ScaleTap


def zero_tail(model: RestorationNet, keep: frozenset[str] | set[str] = frozenset()) -> None:
    """Zero the last conv's scale (or weight) and bias, except names in `keep`, so the network starts as its skip
    path: the identity for restoration, the 5x5 skip for SR. Untrained bodies with the reference init are chaotic
    (outputs of +-25 on [0, 1] images); this start spares the first ~1000 steps of a short run."""
    with torch.no_grad():
        for name, param in model.tail.named_parameters():
            if f"tail.{name}" not in keep and name in ("weight_g", "weight", "bias"):
                param.zero_()


def zero_blocks(model: RestorationNet) -> None:
    """Zero the last conv's scale (or weight) of every residual body and the biases of the scale-wise taps
    (Fixup's / ReZero's start): each block starts as the identity, head-to-tail as a random linear map, and every
    layer gets gradient from step 1."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, WideBody):
                conv = module.conv2
                (conv.weight_g if hasattr(conv, "weight_g") else conv.weight).zero_()
            elif isinstance(module, ScaleTap) and module.pointwise.bias is not None:
                module.pointwise.bias.zero_()


def bicubic_taps(scale: int, size: int) -> torch.Tensor:
    """(scale, size) taps: row `a` weights input offsets -(size//2)..size//2 for output phase `a` of MATLAB's
    bicubic up-scaling (`imresize` away from the borders). x2, x3 and x4 fit in size 5."""
    half, n = size // 2, 8 * size
    rows = resize_matrix(n, n * scale, float(scale), True, "replicate")
    centre = n // 2
    taps = rows[centre * scale: centre * scale + scale, centre - half: centre + half + 1]
    if not torch.allclose(torch.from_numpy(taps.sum(axis=1)), torch.ones(scale, dtype=torch.float64)):
        raise ValueError(f"bicubic x{scale} does not fit a {size}x{size} kernel")
    return torch.from_numpy(taps)


def bicubic_skip(model: RestorationNet) -> None:
    """Set the SR skip conv (followed by the pixel shuffle) to bicubic up-scaling of each channel, bias zero."""
    skip = model.skip
    if skip is None:
        raise ValueError("train.bicubic_skip needs an SR model (scale >= 2); this one has no skip conv")
    s, c, k = model.config.scale, model.config.channels, skip.kernel_size[0]
    taps = bicubic_taps(s, k)
    kernel = torch.zeros(c * s * s, c, k, k, dtype=torch.float64)
    for channel in range(c):
        for a in range(s):  # pixel shuffle: output channel channel*s*s + a*s + b lands at row phase a, column b
            for b in range(s):
                kernel[channel * s * s + a * s + b, channel] = torch.outer(taps[a], taps[b])
    with torch.no_grad():
        if hasattr(skip, "weight_g"):
            skip.weight_v.copy_(kernel)
            skip.weight_g.copy_(kernel.flatten(1).norm(dim=1).view_as(skip.weight_g))
        else:
            skip.weight.copy_(kernel)
        if skip.bias is not None:
            skip.bias.zero_()
