"""Errors that carry a one-line, user-facing message (the CLI prints them without a traceback)."""


class ScnError(Exception):
    """Base class of every error scn raises on purpose."""


class ConfigError(ScnError, ValueError):
    """A model name, hyperparameter or override that is not allowed."""


class CheckpointError(ScnError, ValueError):
    """A file that is not a readable scn checkpoint."""
