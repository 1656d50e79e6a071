"""Sample photographs that ship with the dependencies (no download): for `scn demo`, `scn serve` and the int8
calibration."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
from PIL import Image

from ..errors import ScnError


def sample_data(name: str) -> Path:
    """A file of matplotlib's sample data, found without importing matplotlib (half a second that `import scn`
    need not pay)."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise ScnError("the demo photo comes with matplotlib: pip install matplotlib")
    path = Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "sample_data" / name
    if not path.is_file():
        raise ScnError(f"{path}: matplotlib's sample data is missing; reinstall matplotlib")
    return path


def demo_photo() -> np.ndarray:
    """Grace Hopper's portrait (512x600 RGB, uint8), shipped inside matplotlib's sample data."""
    with Image.open(sample_data("grace_hopper.jpg")) as im:
        return np.array(im.convert("RGB"))
