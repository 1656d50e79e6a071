"""Architectures of the SCN family; `build(config)` makes the network a `ModelConfig` describes."""

from __future__ import annotations

from ..config import ModelConfig
from .base import RestorationNet
from .pspnet import PSPNetStyle
from .scn import SCN
from .unet import UNetStyle
from .wdsr import WDSR

_CLASSES: dict[str, type[RestorationNet]] = {
    "scn": SCN,
    "scn_unshared": SCN,
    "wdsr": WDSR,
    "unet": UNetStyle,
    "pspnet": PSPNetStyle,
}


def build(config: ModelConfig) -> RestorationNet:
    return _CLASSES[config.arch](config)


__all__ = ["build", "RestorationNet", "SCN", "WDSR", "UNetStyle", "PSPNetStyle"]
