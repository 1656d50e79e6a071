"""Which modules of the package a model name passes through on its way from `scn restore --model NAME` to the
network that runs: a structure measure for refactorings (issue 36: "fewer modules than before").

Runs one `scn restore` of a small random picture in this process with a tracer on, after every import (so the
registrations at import time do not count), and lists each `scn/` module with the functions that received the
name or what carries it: the string itself, the command's arguments, the resolved source or shipped entry, a
weights file path, or the model's configuration.

    .venv/bin/python benchmarks/name_path.py [NAME]        (default scn_small_x2.bicubic)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from types import FrameType
from typing import Any

import numpy as np
from PIL import Image

from scn.cli.main import main


def carries(value: Any, name: str) -> bool:
    """Whether an argument is the name or something made from it."""
    if isinstance(value, str) and value == name:
        return True
    if isinstance(value, list) and name in [v for v in value if isinstance(v, str)]:
        return True  # the command line
    if getattr(value, "model", None) == name or getattr(value, "spec", None) == name:
        return True  # the parsed arguments, the resolved source
    if not isinstance(value, (str, Path)) and getattr(value, "name", None) == name:
        return True  # the shipped entry
    if isinstance(value, (str, Path)) and str(value).endswith(".safetensors") and "weights" in str(value):
        return True  # the shipped file
    return type(value).__name__ == "ModelConfig"


def trace(name: str) -> dict[str, set[str]]:
    seen: dict[str, set[str]] = {}

    def tracer(frame: FrameType, event: str, arg: Any) -> None:
        code = frame.f_code
        if event != "call" or "/scn/" not in code.co_filename or "site-packages" in code.co_filename:
            return None
        arguments = list(frame.f_locals.values())[:code.co_argcount + code.co_kwonlyargcount]
        if any(carries(v, name) for v in arguments):
            seen.setdefault(code.co_filename.rsplit("/scn/", 1)[1], set()).add(code.co_name)
        return None

    with tempfile.TemporaryDirectory() as folder:
        src, dst = Path(folder) / "in.png", Path(folder) / "out.png"
        Image.fromarray((np.random.RandomState(0).rand(40, 48, 3) * 255).astype(np.uint8)).save(src)
        sys.settrace(tracer)
        try:
            main(["restore", str(src), "-o", str(dst), "--model", name, "--no-progress"])
        finally:
            sys.settrace(None)
    return seen


if __name__ == "__main__":
    modules = trace(sys.argv[1] if len(sys.argv) > 1 else "scn_small_x2.bicubic")
    for module in sorted(modules):
        print(f"{module:<24}{', '.join(sorted(modules[module]))}")
    print(f"{len(modules)} modules")
