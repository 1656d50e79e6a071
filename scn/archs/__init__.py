"""Architectures of the SCN family, each a registered class (`scn.config.register_architecture`) that owns its
rules and registers its named configurations; `build(config)` makes the network a `ModelConfig` describes."""

from __future__ import annotations

from ..config import ModelConfig
from .base import RestorationNet, with_noise_map
from .scn import SCN
from .wdsr import WDSR
from .unet import UNetStyle
from .pspnet import PSPNetStyle


def build(config: ModelConfig) -> RestorationNet:
    """The network `config` describes (untrained)."""
    return config.architecture(config)


__all__ = ["build", "RestorationNet", "with_noise_map", "SCN", "WDSR", "UNetStyle", "PSPNetStyle"]
