"""Errors that carry a one-line, user-facing message (the CLI prints them without a traceback)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class ScnError(Exception):
    """Base class of every error scn raises on purpose."""


class ScnWarning(UserWarning):
    """Base class of the warnings scn gives on purpose (the CLI prints them as one line)."""


class ConfigError(ScnError, ValueError):
    """A model name, hyperparameter or override that is not allowed."""


class CheckpointError(ScnError, ValueError):
    """A file that is not a readable scn checkpoint."""


def did_you_mean(name: str, choices: Iterable[str], n: int = 1) -> str:
    """'did you mean a, b? ' for the choices closest to a mistyped `name`; '' when none is close."""
    close = difflib.get_close_matches(name, list(choices), n=n)
    return f"did you mean {', '.join(close)}? " if close else ""
