"""Operators: weight-normalised convs, resamplers, wide-activation bodies, the scale-wise convolution."""

from .blocks import WideBody, WideResBlock
from .conv import WNConv2d, WNConvTranspose2d, conv2d
from .geometry import integer_factor, level_sizes, pad_multiple, pad_to_multiple
from .resample import Resampler
from .scale_conv import ScaleWiseConv, ScaleWiseResBlock

__all__ = ["WideBody", "WideResBlock", "WNConv2d", "WNConvTranspose2d", "conv2d", "Resampler", "integer_factor", "level_sizes",
           "pad_multiple", "pad_to_multiple", "ScaleWiseConv", "ScaleWiseResBlock"]
