"""Images and degradations: MATLAB-compatible resize, colour conversion, noise, JPEG, image folders."""

from .color import rgb_to_y, rgb_to_ycbcr, to_uint8, ycbcr_to_rgb
from .degrade import add_gaussian_noise, bicubic_downscale, jpeg_compress, modcrop
from .resize import imresize

__all__ = ["imresize", "modcrop", "bicubic_downscale", "add_gaussian_noise", "jpeg_compress", "rgb_to_y",
           "rgb_to_ycbcr", "ycbcr_to_rgb", "to_uint8"]
