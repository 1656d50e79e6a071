"""Where training starts: ways to set a fresh network's weights so that its first steps are not wasted.

`zero_tail`: the residual branch starts at zero. `zero_blocks`: every residual block starts as the identity
(Fixup / ReZero); after `train.init`, only the blocks it did not load (a deeper model grown from a shallower one).
`match_residual`: each SCN block's finest-level residual starts at the size a single-scale (WDSR) block adds.
`bicubic_skip`: the SR skip conv starts as MATLAB bicubic interpolation, so with a zero tail the network begins
exactly at the bicubic baseline and learns only the residual (as VDSR's global residual).
`colour_from_gray`: a colour restoration model starts as a gray one's luma route (`train.init` of a gray model).
"""

from __future__ import annotations

import dataclasses

import torch

from ..archs import RestorationNet
from ..archs.scn import SCN, build_pyramid
from ..config import ModelConfig
from ..data.resize import resize_matrix
from ..layers import WideBody, pad_multiple, pad_to_multiple
from ..layers.conv import weight_of
from ..layers.scale_conv import ScaleTap


def zero_tail(model: RestorationNet, keep: frozenset[str] | set[str] = frozenset()) -> None:
    """Zero the last conv's scale (or weight) and bias, except names in `keep`, so the network starts as its skip
    path: the identity for restoration, the 5x5 skip for SR. Untrained bodies with the reference init are chaotic
    (outputs of +-25 on [0, 1] images); this start spares the first ~1000 steps of a short run."""
    with torch.no_grad():
        for name, param in model.tail.named_parameters():
            if f"tail.{name}" not in keep and name in ("weight_g", "weight", "bias"):
                param.zero_()


def zero_blocks(model: RestorationNet, keep: frozenset[str] | set[str] = frozenset()) -> None:
    """Zero the last conv's scale (or weight) of every residual body and the biases of the scale-wise taps
    (Fixup's / ReZero's start): each block starts as the identity, head-to-tail as a random linear map, and every
    layer gets gradient from step 1. Blocks whose parameters are named in `keep` (loaded by `train.init`) stay as
    they are: a deeper model started from a shallower one (its blocks loaded by name, the new ones at the end zeroed)
    computes exactly what the shallower one did (Net2Net's deepening)."""
    with torch.no_grad():
        for name, module in model.named_modules():
            if isinstance(module, WideBody):
                conv = module.conv2
                scale_name = "weight_g" if hasattr(conv, "weight_g") else "weight"
                if f"{name}.conv2.{scale_name}" not in keep:
                    getattr(conv, scale_name).zero_()
            elif isinstance(module, ScaleTap) and module.pointwise.bias is not None:
                if f"{name}.pointwise.bias" not in keep:
                    module.pointwise.bias.zero_()


@torch.no_grad()
def match_residual(model: RestorationNet, x: torch.Tensor) -> list[float]:
    """Scale each SCN block so that, on the batch `x`, its finest-level residual (x_0 + 2 p(x_0) + Up(q p(x_1))
    with 'reference' ends) starts with the root-mean-square of p(x_0) alone, the residual a WDSR block with the
    same body adds: its body's last gain and its taps' biases times one factor per block (the residual is linear
    in them), blocks in order, each measured on what the scaled blocks before it output. Separates SCN's larger
    initial residual from the larger steps its summed terms take. Returns the factors."""
    if not isinstance(model, SCN) or not model.config.shared:
        raise ValueError("train.match_residual applies to SCN models with a shared body (arch 'scn')")
    c = model.config
    features = model.head(pad_to_multiple(x - c.image_mean, pad_multiple(c.ratio, c.num_scales)))
    levels = build_pyramid(features, c.ratio, c.num_scales, c.align_corners)
    factors = []
    for block in model.body:
        conv = block.conv
        single = conv.spatial(levels[0])
        residual = block(levels)[0] - levels[0]
        factor = float(single.pow(2).mean().sqrt() / residual.pow(2).mean().sqrt().clamp_min(1e-12))
        scale_name = "weight_g" if hasattr(conv.spatial.conv2, "weight_g") else "weight"
        getattr(conv.spatial.conv2, scale_name).mul_(factor)
        getattr(conv.spatial.conv2, "bias").mul_(factor)
        for tap in conv.taps.values():
            if tap.pointwise.bias is not None:
                tap.pointwise.bias.mul_(factor)
        factors.append(factor)
        levels = block(levels)
    return factors


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
    set_conv(skip, kernel, torch.zeros(c * s * s, dtype=torch.float64) if skip.bias is not None else None)


def set_conv(conv: torch.nn.Module, weight: torch.Tensor, bias: torch.Tensor | None = None) -> None:
    """Make `conv` apply `weight` (and `bias`), weight-normalised or not (g = ||v|| per output channel)."""
    with torch.no_grad():
        if hasattr(conv, "weight_g"):
            conv.weight_v.copy_(weight)
            conv.weight_g.copy_(weight.flatten(1).norm(dim=1).view_as(conv.weight_g))
        else:
            conv.weight.copy_(weight)
        if bias is not None:
            conv.bias.copy_(bias)


# BT.601 studio-swing luma of RGB in [0, 1] (MATLAB's rgb2ycbcr, the gray models' input): Y = 16/255 + LUMA . RGB
LUMA = (65.481 / 255, 128.553 / 255, 24.966 / 255)
LUMA_OFFSET = 16 / 255


def adds_noise_map(blind: ModelConfig, conditioned: ModelConfig) -> bool:
    """Whether `noise_map_from_blind` applies: a denoiser without the noise-level input into one with it."""
    return conditioned.noise_map and not blind.noise_map and blind.channels == conditioned.channels \
        and blind.scale == conditioned.scale == 1


def noise_map_from_blind(blind: RestorationNet, conditioned: RestorationNet) -> None:
    """Set `conditioned`'s head to `blind`'s with a zero weight on the noise-level map, so the conditioned model
    (with `blind`'s body and tail) starts computing exactly what `blind` computes, whatever level it is given;
    training then teaches it to use the map (FFDNet's input, grown from a model that already denoises)."""
    if not adds_noise_map(blind.config, conditioned.config):
        raise ValueError("noise_map_from_blind grows a denoiser into one with a noise-level input of the same "
                         "channels")
    weight = weight_of(blind.head).detach()
    extra = torch.zeros_like(weight[:, :1])
    set_conv(conditioned.head, torch.cat([weight, extra], 1), blind.head.bias.detach())


def changes_noise_map_gain(source: ModelConfig, target: ModelConfig) -> bool:
    """Whether `noise_map_regained` applies: a denoiser told the level into the same with another map gain."""
    return source.noise_map and target.noise_map and source.channels == target.channels \
        and source.noise_map_gain != target.noise_map_gain


def noise_map_regained(source: RestorationNet, target: RestorationNet) -> None:
    """Set `target`'s head to `source`'s with the map's weight divided by the gains' ratio, so `target` (with
    `source`'s body and tail) computes exactly what `source` computes at every level: a run continued with a larger
    `noise_map_gain`, whose map weight then moves that many times faster."""
    if not changes_noise_map_gain(source.config, target.config):
        raise ValueError("noise_map_regained moves a noise_map denoiser's head to another noise_map_gain")
    weight = weight_of(source.head).detach().clone()
    c = source.config.channels
    weight[:, c:] *= source.config.noise_map_gain / target.config.noise_map_gain
    set_conv(target.head, weight, source.head.bias.detach())


def lifts_to_colour(gray: ModelConfig, colour: ModelConfig) -> bool:
    """Whether `colour_from_gray` applies: a gray restoration model into a colour one."""
    return gray.channels == 1 and colour.channels == 3 and gray.scale == colour.scale == 1


def luma_matched_mean(gray_mean: float) -> float:
    """The colour model's `image_mean` whose luma is the gray model's: sum_j a_j (x_j - m') = Y - m exactly."""
    return (gray_mean - LUMA_OFFSET) / sum(LUMA)


def colour_start_config(colour: ModelConfig, init: ModelConfig) -> ModelConfig:
    """`colour` with the image mean `colour_from_gray` needs when `init` is a gray restoration model (else as is)."""
    if not lifts_to_colour(init, colour):
        return colour
    return dataclasses.replace(colour, image_mean=luma_matched_mean(init.image_mean))


def colour_from_gray(gray: RestorationNet, colour: RestorationNet) -> None:
    """Set `colour`'s head and tail to `gray`'s lifted to RGB, so that the colour model (with `gray`'s body) starts
    exactly as the luma route: its head reads the luma of its RGB input (BT.601, the gray models' Y; with the image
    mean of `luma_matched_mean`, so the head sees what the gray head saw, zero padding included), and its tail adds
    the same correction to R, G and B, scaled so the luma moves as the gray model moves it while Cb and Cr (whose
    coefficients sum to zero) stay."""
    if not lifts_to_colour(gray.config, colour.config):
        raise ValueError("colour_from_gray lifts a 1-channel restoration model into a 3-channel one "
                         "(not super-resolution)")
    wanted = luma_matched_mean(gray.config.image_mean)
    if abs(colour.config.image_mean - wanted) > 1e-6:
        raise ValueError(f"the colour model needs image_mean {wanted:.6f} to start as the gray one "
                         f"(scn.training.starts.colour_start_config), not {colour.config.image_mean:g}")
    luma = torch.tensor(LUMA, dtype=torch.float64)
    head_w = weight_of(gray.head).detach().double()  # (F, 1, k, k)
    tail_w = weight_of(gray.tail).detach().double()  # (1, F, k, k)
    set_conv(colour.head, head_w * luma.view(1, 3, 1, 1), gray.head.bias.detach())
    set_conv(colour.tail, (tail_w / luma.sum()).expand(3, -1, -1, -1),
             (gray.tail.bias.detach().double() / luma.sum()).expand(3))
