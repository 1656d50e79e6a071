"""What the denoisers do to real noisy photos (RNI15: no ground truth, noise that is not white Gaussian).

For each picture: the noise level the estimator finds (Chen et al. 2015, as `scn restore` prints it), then the
picture restored by `--model` told that level and told each of --levels, written side by side with the input (a
zoomed centre crop below) as OUT/NAME.png, and a table of how much each setting changed the picture (RMS
difference from the input, 0-255) and how much noise the estimator still finds in the result. The pictures
stay out of the repository (they are derived from ../shared's data one to one): look at them in OUT.

    .venv/bin/python benchmarks/real_photos.py [--data ../shared/datasets/real/RNI15] [--model NAME|PATH]
        [--out runs/real] [--max-side 512]

`--model` must take a noise level: a model with a noise-level input (`noise_map`, such as a checkpoint of
configs/zoo/denoise_rgb_sigma.yaml) or `scn`, which takes the shipped model covering each level.
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import time
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

import scn
from scn.data.io import list_images, shared_path
from scn.data.noise_level import estimate_sigma
from scn.inference.images import read_picture



def panel(path: Path, shown: list[tuple[np.ndarray, str]], title: str) -> None:
    fig = Figure(figsize=(3.6 * len(shown), 7.4))
    axes = fig.subplots(2, len(shown))
    h, w = shown[0][0].shape[:2]
    half = max(16, min(h, w) // 6)
    for column, (image, caption) in enumerate(shown):
        crop = image[h // 2 - half: h // 2 + half, w // 2 - half: w // 2 + half]
        for row, part in enumerate((image, crop)):
            ax = axes[row, column]
            ax.imshow(part, cmap="gray" if part.ndim == 2 else None, vmin=0, vmax=1, interpolation="nearest")
            ax.set_title(caption if row == 0 else "centre, zoomed", fontsize=9)
            ax.axis("off")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=shared_path("../shared/datasets/real/RNI15"))
    ap.add_argument("--model", default="scn")
    ap.add_argument("--out", default="runs/real")
    ap.add_argument("--max-side", type=int, default=512, help="larger pictures are centre-cropped to this")
    ap.add_argument("--levels", type=float, nargs="+", default=[15, 30, 50], help="fixed levels shown too")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model_line = next((line.split(":", 1)[1].strip() for line in cpu.splitlines() if "Model name" in line), "?")
    print(f"# {args.model} on {args.data}; {platform.processor() or platform.machine()} ({model_line})")
    heads = ["estimated", *(f"sigma {v:g}" for v in args.levels)]
    print(f"{'picture':<20}{'size':>10}{'sigma':>7}" + "".join(f"{h + ': rms / left':>24}" for h in heads)
          + f"{'s':>7}")
    for path in list_images(Path(args.data)):
        picture = read_picture(path)
        image = picture.color[..., 0] if picture.gray else picture.color
        h, w = image.shape[:2]
        top, left = max(0, (h - args.max_side) // 2), max(0, (w - args.max_side) // 2)
        image = np.ascontiguousarray(image[top:top + args.max_side, left:left + args.max_side])
        sigma = estimate_sigma(image)
        start = time.perf_counter()
        shown, cells = [(image, f"input (noise level {sigma:.1f} estimated)")], []
        try:
            restored = [(level, scn.restore(image, "denoise", sigma=level, model=args.model))
                        for level in [max(1.0, round(sigma)), *args.levels]]
        except scn.ScnError as err:  # a colour denoiser named for a gray picture (R = G = B) refuses it
            print(f"{path.name:<20}{'':>10}{sigma:>7.1f}  {err}")
            continue
        for level, result in restored:
            rms = float(np.sqrt(np.mean((result.astype(np.float64) - image) ** 2)) * 255)
            cells.append(f"{rms:>9.2f} / {estimate_sigma(result):>5.1f}")
            shown.append((result, f"told sigma {level:g}"))
        seconds = time.perf_counter() - start
        panel(out / f"{path.stem}.png", shown, f"{path.name}: {args.model}")
        size = f"{image.shape[1]}x{image.shape[0]}"
        print(f"{path.name:<20}{size:>10}{sigma:>7.1f}" + "".join(f"{c:>24}" for c in cells) + f"{seconds:>7.1f}")
    print(f"panels in {out}/")


if __name__ == "__main__":
    main()
