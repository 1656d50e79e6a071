"""What every network of the family shares: input normalisation, head, tail, global skip, padding and cropping.

SR (scale s >= 2): y = PixelShuffle(tail(body(head(x))) + skip5x5(x)), as WDSR and the SCN reference.
Restoration (scale 1): the pixel shuffle and the conv skip are removed (the paper's Fig. 2); we keep a global
identity residual, y = x + tail(body(head(x))), so the network learns the correction (as DnCNN/ARCNN-era work).
Inputs are in [0, 1]; `image_mean` is subtracted first and added back last.
"""

from __future__ import annotations

import torch
from torch import nn

from ..config import ModelConfig
from ..layers import conv2d, pad_multiple, pad_to_multiple


class RestorationNet(nn.Module):
    """Base class; subclasses build `self.body` and implement `run_body(features, num_scales, ratio)`."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        c, f, s, wn = config.channels, config.num_features, config.scale, config.weight_norm
        self.head = conv2d(c, f, 3, weight_norm=wn, gain=1.0, zero_bias=True)
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
        if x.dim() != 4 or x.shape[1] != self.config.channels:
            raise ValueError(f"expected an (N, {self.config.channels}, H, W) tensor, got shape {tuple(x.shape)}")
        h, w = x.shape[-2:]
        x = x - self.config.image_mean
        x = pad_to_multiple(x, pad_multiple(ratio, levels))
        y = self.tail(self.run_body(self.head(x), levels, ratio))
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
