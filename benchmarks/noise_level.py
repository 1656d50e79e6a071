"""How well `scn.data.noise_level.estimate_sigma` (Chen et al. 2015) finds the noise level of colour photos.

White Gaussian noise of each sigma on every RGB value of each picture (seed = picture index), unclipped (the
tables' protocol) and clipped + rounded to 8 bits (what a noisy photo file holds); prints the mean absolute error
and the mean error (bias) per sigma, and the time per picture. With `--clean`, what it reads on each reference
picture as it is: noise that scanners or cameras left in the "clean" pictures a denoiser is scored against.

    .venv/bin/python benchmarks/noise_level.py [--data ../shared/datasets/test/Kodak24] [--sigmas 5 15 25 50]
    .venv/bin/python benchmarks/noise_level.py --data ../shared/datasets/test/Set14 --clean
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import time
from pathlib import Path

import numpy as np
from PIL import Image

from scn.data.noise_level import estimate_sigma


def cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        return next(line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown"


def clean_levels(names: list[str], clean: list[np.ndarray]) -> None:
    """The level the estimator reads on each reference picture as it is."""
    print("| picture | sigma read |")
    print("|---|---:|")
    for name, x in zip(names, clean):
        print(f"| {name} | {estimate_sigma(x):.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/datasets/test/Kodak24"))
    parser.add_argument("--sigmas", type=float, nargs="+", default=[5, 15, 25, 50])
    parser.add_argument("--clean", action="store_true", help="the level read on each reference picture as it is")
    args = parser.parse_args()
    files = sorted(p for p in args.data.iterdir() if p.suffix.lower() in (".png", ".bmp", ".tif", ".jpg"))
    if not files:
        raise SystemExit(f"{args.data}: no pictures")
    clean = [np.asarray(Image.open(p).convert("RGB"), dtype=np.float64) / 255 for p in files]
    print(f"{len(files)} pictures of {args.data}; CPU: {cpu_model()}")
    if args.clean:
        clean_levels([p.stem for p in files], clean)
        return
    print("| sigma | protocol | MAE | mean error | largest error |")
    print("|---:|---|---:|---:|---:|")
    seconds, count = 0.0, 0
    for sigma in args.sigmas:
        for protocol in ("unclipped", "clipped 8-bit"):
            errors = []
            for i, x in enumerate(clean):
                noisy = x + np.random.RandomState(i).normal(0.0, sigma / 255.0, x.shape)
                if protocol != "unclipped":
                    noisy = np.round(np.clip(noisy, 0, 1) * 255) / 255
                start = time.perf_counter()
                errors.append(estimate_sigma(noisy) - sigma)
                seconds, count = seconds + time.perf_counter() - start, count + 1
            e = np.array(errors)
            print(f"| {sigma:g} | {protocol} | {np.abs(e).mean():.2f} | {e.mean():+.2f} | {e[np.abs(e).argmax()]:+.2f} |")
    print(f"{seconds / count:.2f} s per picture")


if __name__ == "__main__":
    main()
