"""Geometric self-ensemble (x8): run on the 8 flips/rotations of the input, undo each, average (SCN+)."""

from __future__ import annotations

from collections.abc import Callable

import torch


def dihedral(x: torch.Tensor, k: int) -> torch.Tensor:
    """The k-th of the 8 dihedral transforms (k in 0..7) of the last two dimensions."""
    if k >= 4:
        x = x.transpose(-2, -1)
    return torch.rot90(x, k % 4, dims=(-2, -1))


def dihedral_inverse(x: torch.Tensor, k: int) -> torch.Tensor:
    x = torch.rot90(x, -(k % 4), dims=(-2, -1))
    return x.transpose(-2, -1) if k >= 4 else x


def self_ensemble(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """Mean over the 8 transforms of dihedral_inverse(fn(dihedral(x)))."""
    total = None
    for k in range(8):
        y = dihedral_inverse(fn(dihedral(x, k)), k)
        total = y if total is None else total + y
    assert total is not None
    return total / 8
