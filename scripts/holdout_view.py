"""The pictures a training config holds out for validation (its data.holdout), down-scaled by MATLAB bicubic and
their colour saturated, as a folder any `scn benchmark --data` takes: a view of the held-out pictures with more
chroma detail than BSD200's JPEG-born pictures hold (chroma / luma high-frequency energy, median: 0.009 as they
are, 0.033 at half size, times the saturation squared), for choosing on before any test set:

    .venv/bin/python scripts/holdout_view.py configs/zoo/denoise_rgb_sigma_stage12.yaml /tmp/holdout_vivid \
        --scale 0.5 --saturation 2

The pictures come from the config's training folders (../shared); the folder written is for this machine only.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image

import scn
from scn.atomic import atomic_write
from scn.data.color import to_uint8
from scn.data.io import as_rgb, read_image
from scn.data.resize import imresize
from scn.training.config import holdout_files, load_config
from scn.data.color import FULL_RANGE_LUMA


def saturated(picture: np.ndarray, saturation: float) -> np.ndarray:
    """`picture` (RGB, 0..255) with its chroma, the difference from its full-range BT.601 luma, times `saturation`."""
    luma = (picture @ FULL_RANGE_LUMA)[..., None]
    return luma + saturation * (picture - luma)


def write_view(config: str, out: Path, scale: float, saturation: float = 1.0) -> list[Path]:
    """Write each held-out picture of `config`, scaled by `scale` then saturated, as OUT/NAME.png (8 bits,
    clipped); the paths written."""
    if not 0.0 < scale <= 1.0:
        raise scn.ConfigError(f"--scale {scale} must lie in (0, 1]")
    if saturation < 0.0:
        raise scn.ConfigError(f"--saturation {saturation} must be 0 (gray) or more")
    files = holdout_files(load_config(config))
    if not files:
        raise scn.ConfigError(f"{config} holds no pictures out (its data.holdout is empty)")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in files:
        picture = as_rgb(read_image(path)).astype(np.float64)
        small = picture if scale == 1.0 else imresize(picture, scale)
        small = small if saturation == 1.0 else saturated(small, saturation)
        target = out / f"{path.parent.name}_{path.stem}.png"
        pixels = Image.fromarray(to_uint8(small))
        atomic_write(target, lambda tmp: pixels.save(tmp, format="PNG"))
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("config", help="a training config with data.holdout")
    p.add_argument("out", type=Path, help="the folder to write")
    p.add_argument("--scale", type=float, default=0.5, help="down-scale factor (default 0.5)")
    p.add_argument("--saturation", type=float, default=1.0, help="chroma gain around the luma (default 1: as is)")
    args = p.parse_args(argv)
    try:
        written = write_view(args.config, args.out, args.scale, args.saturation)
    except scn.ScnError as err:
        print(f"holdout_view: {err}", file=sys.stderr)
        return 2
    print(f"wrote {len(written)} pictures to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
