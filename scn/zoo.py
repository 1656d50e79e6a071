"""Pretrained weights shipped in the package (the model zoo). Empty until weights are trained here."""

from __future__ import annotations

from torch import nn

from .errors import ScnError
from .registry import model_names


class ZooError(ScnError):
    """No shipped weights for what was asked."""


def pretrained_for(name: str, task: str, setting: int) -> nn.Module:
    """The shipped model `name` (or the default `scn`) for `task` at `setting`."""
    if name != "scn" and name not in model_names():
        raise ZooError(f"unknown method {name!r}; use bicubic, bicubic-rgb, identity, bm3d, dncnn:PATH, "
                       "arcnn:PATH, imdn:PATH, a checkpoint file, or a model with shipped weights")
    raise ZooError(f"no shipped weights for {name!r} ({task}, setting {setting}) yet; "
                   "pass a checkpoint file trained with scn instead")
