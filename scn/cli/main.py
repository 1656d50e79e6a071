"""`scn` entry point: builds the argument parser from the subcommand modules and turns ScnError into one line."""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Sequence

from ..allocator import keep_freed_memory
from ..errors import ScnError, ScnWarning
from ..version import __version__
from . import (benchmark_cmd, demo_cmd, experiments_cmd, export_cmd, info_cmd, models_cmd, restore_cmd, serve_cmd,
               train_cmd)

SUBCOMMANDS = (restore_cmd, demo_cmd, serve_cmd, models_cmd, info_cmd, benchmark_cmd, train_cmd, experiments_cmd,
               export_cmd)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scn", description="Scale-wise convolution for image restoration.")
    parser.add_argument("--version", action="version", version=f"scn {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in SUBCOMMANDS:
        module.add_parser(sub)
    return parser


def one_line_warnings(command: str) -> None:
    """Show scn's own warnings as `scn COMMAND: warning: ...` (others as Python shows them)."""
    default = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):  # type: ignore[no-untyped-def]
        if issubclass(category, ScnWarning):
            print(f"scn {command}: warning: {message}", file=sys.stderr, flush=True)
        else:
            default(message, category, filename, lineno, file, line)

    warnings.showwarning = show


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    keep_freed_memory()
    one_line_warnings(args.command)
    try:
        return int(args.run(args) or 0)
    except ScnError as e:
        print(f"scn {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"scn {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`scn models | head`): stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
