"""What every network of the family shares: input normalisation, head, tail, global skip, padding and cropping.

SR (scale s >= 2): y = PixelShuffle(tail(body(head(x))) + skip5x5(x)), as WDSR and the SCN reference.
Restoration (scale 1): the pixel shuffle and the conv skip are removed (the paper's Fig. 2); we keep a global
identity residual, y = x + tail(body(head(x))), so the network learns the correction (as DnCNN/ARCNN-era work).
Inputs are in [0, 1]; `image_mean` is subtracted first and added back last. A denoiser with `noise_map` takes
the noise level as one more input channel (sigma / 255 per pixel, FFDNet's map), times `noise_map_gain`: only the
head sees it.
"""

from __future__ import annotations

import math
from typing import ClassVar

import torch
from torch import nn

from ..config import ModelConfig
from ..layers import conv2d, pad_multiple, pad_to_multiple
from ..layers.geometry import integer_factor


def with_noise_map(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """`x` ((C, H, W) or (N, C, H, W), values in [0, 1]) with the noise-level map a `noise_map` denoiser reads
    beside it: one more channel, sigma / 255 everywhere."""
    level = torch.full_like(x.narrow(-3, 0, 1), sigma / 255.0)
    return torch.cat([x, level], -3)


def wide_body_macs(config: ModelConfig) -> int:
    """Multiply-accumulates per pixel of one wide-activation body (its two 3x3 convs)."""
    return 18 * config.width * config.num_features ** 2


class RestorationNet(nn.Module):
    """Base class of every architecture. A subclass is registered with `@register_architecture(NAME)`, builds
    `self.body`, implements `run_body(features, num_scales, ratio)`, and answers, from a config alone, what it
    allows (`check_config`), which depths it can be evaluated at (`eval_depths`), whether another level ratio
    (`check_eval_ratio`), and what its body costs (`body_macs`)."""

    arch_name: ClassVar[str]
    own_fields: ClassVar[frozenset[str]] = frozenset()  # ModelConfig fields only this architecture reads (the
    # others read by every network: task, scale, channels, sizes, levels, ratio, ends of the image); every other
    # architecture must leave them at their defaults
    single_scale: ClassVar[bool] = False  # one level only: no pyramid (WDSR)
    shipped_name: str | None = None  # set on shipped weights when loaded (scn.zoo)

    # -- rules of the architecture, from the configuration alone ------------------------------------------------
    @classmethod
    def check_config(cls, config: ModelConfig) -> None:
        """Raise ConfigError for a configuration this architecture cannot build (its own fields' values above all;
        ModelConfig has checked the fields every network reads)."""

    @classmethod
    def eval_depths(cls, config: ModelConfig) -> tuple[int, int | None]:
        """(fewest, most) pyramid levels it can be evaluated with; None: no upper limit."""
        return config.num_scales, config.num_scales

    @classmethod
    def check_eval_ratio(cls, config: ModelConfig, ratio: float) -> None:
        """Raise ConfigError if it cannot be evaluated with level ratio `ratio`."""

    @classmethod
    def body_macs(cls, config: ModelConfig, pixels: list[int]) -> int:
        """Multiply-accumulates of the body's convs, given the pixel count of each pyramid level."""
        raise NotImplementedError

    @classmethod
    def size_multiple(cls, config: ModelConfig) -> int:
        """Inputs are padded to a multiple of this (every level of the pyramid an exact size); tiles start on it."""
        return pad_multiple(config.ratio, config.num_scales)

    @classmethod
    def tile_context(cls, config: ModelConfig) -> int:
        """Input pixels of context a tile needs on each side: the receptive field of one block body at the coarsest
        level (two 3x3 convs span 5 coarse pixels, each (1/ratio)^(levels-1) input pixels wide, plus one for the
        bilinear taps), at least 16."""
        coarse = (1.0 / config.ratio) ** (config.num_scales - 1)
        return max(16, int(math.ceil(6 * coarse)))

    @classmethod
    def activation_bytes_per_pixel(cls, config: ModelConfig) -> float:
        """A rough peak of float32 activation memory per input pixel: every level's wide features, and the tail's
        output."""
        c = config
        levels = sum(c.ratio ** (2 * s) for s in range(c.num_scales))
        return levels * c.num_features * (c.width + 4) * 4 + 4 * c.channels * c.scale * c.scale * 3 + 64

    @classmethod
    def tiling_inexact(cls, config: ModelConfig) -> str:
        """Why tiles differ from a whole-image run beyond blending ('' when they do not)."""
        if config.num_scales > 1 and config.align_corners:
            return "align_corners=True: a coarse level's sampling grid depends on the tile's size"
        if config.num_scales > 1 and integer_factor(config.ratio) is None:
            return f"level ratio {config.ratio:g} is not 1/integer: tiles cannot start in phase with the pyramid"
        return ""

    @classmethod
    def can_match_residual(cls, config: ModelConfig) -> bool:
        """Whether `train.match_residual` (start at the single-scale network's residual size) applies."""
        return False

    @classmethod
    def min_side(cls, config: ModelConfig) -> int:
        """The smallest height / width an exported graph accepts: every pyramid level at least 2 pixels."""
        return max(16, 2 * cls.size_multiple(config))

    # -- the network -----------------------------------------------------------------------------------------------

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        c, f, s, wn = config.channels, config.num_features, config.scale, config.weight_norm
        self.head = conv2d(config.in_channels, f, 3, weight_norm=wn, gain=1.0, zero_bias=True)
        self.tail = conv2d(f, c * s * s, 3, weight_norm=wn, gain=1.0, zero_bias=True)
        self.skip = conv2d(c, c * s * s, 5, weight_norm=wn, gain=1.0, zero_bias=True) if s > 1 else None
        self.shuffle = nn.PixelShuffle(s) if s > 1 else None

    def run_body(self, features: torch.Tensor, num_scales: int, ratio: float) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, x: torch.Tensor, num_scales: int | None = None, ratio: float | None = None) -> torch.Tensor:
        """Restore `x` (N, C, H, W) in [0, 1]; `num_scales` / `ratio` evaluate with another pyramid depth
        (the paper's Fig. 7) or level ratio (Fig. 8) than the model was built with."""
        levels = self.config.num_scales if num_scales is None else num_scales
        ratio = self.config.ratio if ratio is None else ratio
        self.config.check_eval_depth(levels)
        if ratio != self.config.ratio:
            self.config.check_eval_ratio(ratio)
        c = self.config.channels
        if x.dim() != 4 or x.shape[1] != self.config.in_channels:
            what = f"{c} picture channels and a noise-level map" if self.config.noise_map else f"{c} channels"
            raise ValueError(f"expected an (N, {self.config.in_channels}, H, W) tensor ({what}), got shape "
                             f"{tuple(x.shape)}")
        h, w = x.shape[-2:]
        x = pad_to_multiple(x, pad_multiple(ratio, levels))
        if self.config.noise_map:  # the picture's channels centred, the map times its gain
            level, x = x[:, c:], x[:, :c] - self.config.image_mean
            gain = self.config.noise_map_gain
            inputs = torch.cat([x, level if gain == 1.0 else level * gain], 1)
        else:
            inputs = x = x - self.config.image_mean
        y = self.tail(self.run_body(self.head(inputs), levels, ratio))
        if self.skip is not None and self.shuffle is not None:
            y = self.shuffle(y + self.skip(x))
        else:
            y = y + x
        s = self.config.scale
        if torch.compiler.is_exporting():  # a gather keeps height and width symbolic (slicing would guard)
            y = y.index_select(-2, torch.arange(h * s, device=y.device))
            y = y.index_select(-1, torch.arange(w * s, device=y.device))
        else:
            y = y[..., : h * s, : w * s]
        return y + self.config.image_mean
