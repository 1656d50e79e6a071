"""Sample photographs that ship with the dependencies (no download): for `scn demo` and `scn serve`."""

from __future__ import annotations

import numpy as np
from matplotlib import cbook
from PIL import Image


def demo_photo() -> np.ndarray:
    """Grace Hopper's portrait (512x600 RGB, uint8), shipped inside matplotlib's sample data."""
    with Image.open(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)) as im:
        return np.array(im.convert("RGB"))
