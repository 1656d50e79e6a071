"""Atomic writes of the training state (temp file, fsync, rename) and its safe reading."""

from __future__ import annotations

import errno
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from ..atomic import atomic_write as write_atomically
from ..errors import ScnError


class TrainError(ScnError):
    """Training cannot go on (bad data, a checkpoint that cannot be written or read)."""


def atomic_write(path: Path, write: Callable[[str], None]) -> None:
    """`scn.atomic.atomic_write`, with a failure (a full disk) turned into a one-line TrainError."""
    try:
        write_atomically(path, write)
    except OSError as e:
        raise write_error(path, e) from None


def write_error(path: Path, error: OSError) -> TrainError:
    """The one-line error for a file that could not be written (a full disk, say)."""
    reason = "no space left on device" if error.errno == errno.ENOSPC else (error.strerror or str(error))
    return TrainError(f"cannot write {path}: {reason}; the previous file is kept")


def save_state(state: dict[str, Any], path: Path) -> None:
    atomic_write(path, lambda tmp: torch.save(state, tmp))


def load_state(path: Path) -> dict[str, Any]:
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - any failure means the file cannot be resumed from
        raise TrainError(f"cannot resume from {path}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
