"""The public model API: create a registered model by name."""

from __future__ import annotations

from typing import Any

from .archs import RestorationNet, build
from .config import get_config


def create_model(name: str, **overrides: Any) -> RestorationNet:
    """Build the registered configuration `name` (see `scn models`) with hyperparameter `overrides`."""
    return build(get_config(name, **overrides))
