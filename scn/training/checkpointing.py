"""Atomic writes of the training state (temp file, fsync, rename) and its safe reading."""

from __future__ import annotations

import errno
import hashlib
import io
import os
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


def previous_path(path: Path) -> Path:
    """Where the state before the last one is kept (checkpoint.pt -> checkpoint.prev.pt)."""
    return path.with_name(f"{path.stem}.prev{path.suffix}")


def save_state(state: dict[str, Any], path: Path) -> None:
    """Write the training state atomically, sealed with the sha256 of its bytes (torch's zip format checks no
    data: a flipped bit loads silently); the state it replaces is kept as the previous one, so a state damaged
    later on disk (or a stop between the two renames) still leaves one to resume from."""
    buffer = io.BytesIO()
    torch.save(state, buffer)
    data = buffer.getvalue()
    sealed = {SEAL: hashlib.sha256(data).hexdigest(), "state": torch.frombuffer(bytearray(data), dtype=torch.uint8)}

    def write(tmp: str) -> None:  # written in full first (a full disk leaves both states as they were), then rotated
        torch.save(sealed, tmp)
        if path.exists():
            os.replace(path, previous_path(path))

    atomic_write(path, write)


SEAL = "sha256"


def load_state(path: Path) -> dict[str, Any]:
    """A state written by `save_state`, checked against its seal (states written before seals load as they are)."""
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
        if isinstance(loaded, dict) and set(loaded) == {SEAL, "state"}:
            data = loaded["state"].numpy().tobytes()
            if hashlib.sha256(data).hexdigest() != loaded[SEAL]:
                raise TrainError(f"{path} is damaged: it fails its checksum")
            loaded = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
        return loaded
    except TrainError:
        raise
    except Exception as e:  # noqa: BLE001 - any failure means the file cannot be resumed from
        reason = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
        raise TrainError(f"cannot resume from {path}: {reason}") from None


def load_latest_state(path: Path) -> tuple[dict[str, Any], str]:
    """The newest good state: `path`, or, when it is damaged or unreadable, the previous one; with a note saying
    which was taken ('' for `path` itself). TrainError when neither can be read."""
    try:
        return load_state(path), ""
    except TrainError as latest:
        previous = previous_path(path)
        if not previous.exists():
            raise
        state = load_state(previous)
        return state, f"{latest}; resuming from {previous.name} (step {int(state['step'])}) instead"
