"""Which pictures are monochrome (colours on one line: R = G = B, or toned), how far the colour ones are from a
line, and what a toned noisy picture gets from the colour denoiser and from the gray route.

For each folder: the pictures with R = G = B, those toned (within `scn.data.monochrome.TOLERANCE` of a line) and
the colour ones' smallest distance from a line (levels, 0-255; pictures with half their pixels clipped are not
fitted and count as colour). Then the demo photo made gray, noised at --sigma, rounded to 8 bits and toned
sepia (the same noise, scaled, in each channel): the noise level the estimator reads, the PSNR of the noisy
picture, of the shipped colour denoiser told the true level (run directly: `scn restore` refuses it for such a
picture) and of what `scn restore --task denoise` runs (the gray default on its luma, toned back).

    .venv/bin/python benchmarks/monochrome.py [FOLDER ...] [--sigma 25]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from noise_level import cpu_model

import scn
from scn.cli.demo_cmd import demo_photo
from scn.data.io import list_images, shared_path
from scn.data.monochrome import TOLERANCE, fit_line, monochrome
from scn.data.noise_level import estimate_sigma
from scn.inference.images import read_picture
from scn.metrics import psnr

SETS = ["train/T91", "train/BSD200", "test/Kodak24", "test/Set5", "test/Set14", "real/RNI15", "real/RealSRSet"]
SEPIA = np.array([1.0, 0.85, 0.65])


def survey(folder: str) -> None:
    gray, toned, nearest = [], [], (np.inf, "")
    for path in list_images(folder):
        picture = read_picture(path)
        if picture.gray:
            continue
        line = monochrome(picture.color)
        if line is not None:
            (gray if line.gray else toned).append(path.name)
            continue
        fit = fit_line(picture.color)
        if fit is not None and fit[1] * 255 < nearest[0]:
            nearest = (fit[1] * 255, path.name)
    print(f"{folder}: R = G = B {gray or '-'}; toned {toned or '-'}; colour ones at least {nearest[0]:.2f} levels "
          f"from a line ({nearest[1]})")


def toned_demo(sigma: float) -> None:
    clean = demo_photo()[100:356, 150:406, 1].astype(np.float64)
    noise = np.random.default_rng(0).normal(0, sigma, clean.shape)
    reference = np.round(clean[..., None] * SEPIA)
    noisy = np.clip(np.round((clean + noise)[..., None] * SEPIA), 0, 255).astype(np.uint8)
    as_float = noisy / np.float32(255)
    colour = scn.Restorer(scn.resolve("scn", "denoise", int(sigma), channels=3).load(), noise_level=sigma)
    colour_out = np.round(np.clip(colour.restore_image(as_float), 0, 1) * 255)
    start = time.perf_counter()
    routed = scn.restore(noisy, "denoise", sigma=sigma)
    print(f"toned demo photo (256x256, sepia, sigma {sigma:g}): estimator reads {estimate_sigma(as_float):.1f}; "
          f"PSNR noisy {psnr(noisy, reference):.2f}, colour denoiser told sigma {psnr(colour_out, reference):.2f}, "
          f"scn restore (gray route) {psnr(routed, reference):.2f} ({time.perf_counter() - start:.1f} s)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folders", nargs="*", default=[shared_path(f"../shared/datasets/{s}") for s in SETS])
    ap.add_argument("--sigma", type=float, default=25)
    args = ap.parse_args()
    print(f"# monochrome within {TOLERANCE * 255:g} level RMS of a line; {cpu_model()}")
    for folder in args.folders:
        survey(str(folder))
    toned_demo(args.sigma)


if __name__ == "__main__":
    main()
