"""Tiled vs. whole-image restoration for tile-exact and not tile-exact models (docs/restore.md).

    .venv/bin/python benchmarks/tiling.py [--tile 96]

A 300x260 crop of matplotlib's Grace Hopper photo, x2, with the shipped `scn_small_x2.bicubic` weights built with
align_corners False (as trained: tile-exact) and True (the registry's default: not tile-exact). Prints, per
model, whether the default memory budget restores it whole (equal to --tile 0), the 8-bit PSNR and largest
difference between --tile N and whole, and the estimate the tiling warning gives.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
import torch
from matplotlib import cbook
from PIL import Image

import scn
from scn.inference.engine import Restorer, TilingWarning
from scn.inference.images import Picture
from scn.metrics import psnr

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--tile", type=int, default=96)
args = ap.parse_args()
torch.set_num_threads(2)
with Image.open(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)) as im:
    crop = np.asarray(im.convert("RGB"))[100:360, 100:400]
pic = Picture(crop.astype(np.float32) / 255)
trained = scn.resolve("scn_small_x2.bicubic").load()
for align_corners in (False, True):
    model = scn.build(trained.config.replace(align_corners=align_corners))
    model.load_state_dict(trained.state_dict())
    whole = np.floor(Restorer(model, tile=0).restore(pic).color * 255 + 0.5)
    auto = np.floor(Restorer(model).restore(pic).color * 255 + 0.5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tiled = np.floor(Restorer(model, tile=args.tile).restore(pic).color * 255 + 0.5)
    warning = next((str(w.message) for w in caught if issubclass(w.category, TilingWarning)), "none")
    estimate = warning.split("by about ")[1].split(" dB")[0] + " dB" if "by about" in warning else "no warning"
    print(f"align_corners={align_corners}: default budget == whole: {np.array_equal(auto, whole)}; "
          f"--tile {args.tile} vs whole: {psnr(tiled, whole):.1f} dB, max {np.abs(tiled - whole).max():.0f} levels; "
          f"warning: {estimate}")
