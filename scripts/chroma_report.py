"""How much colour detail pictures hold, and where a colour denoiser's error lies, in an orthonormal opponent basis
(luma (R+G+B)/sqrt 3, chroma (R-B)/sqrt 2 and (R-2G+B)/sqrt 6: the same noise on each axis as on each RGB value).

    # chroma / luma high-frequency energy of folders of pictures (the median and mean over each folder)
    .venv/bin/python scripts/chroma_report.py detail ../shared/datasets/train/BSD200 ../shared/datasets/test/Set14
    # per picture: each method's squared error on each axis, and the share of the clean picture's chroma
    # high-frequency energy its output keeps (folders of outputs as `scn benchmark --save-images DIR` writes them)
    .venv/bin/python scripts/chroma_report.py errors ../shared/datasets/test/Set14 DIR/bm3d/Set14/15 \\
        DIR/scn_denoise_rgb.sigma/Set14/15

High frequency: the picture less its 5x5 box mean (edges reflected). A picture with no chroma detail scores 0.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy.ndimage import uniform_filter

from scn.data.io import as_rgb, list_images, read_image

OPPONENT = np.array([[1, 1, 1], [1, 0, -1], [1, -2, 1]], dtype=np.float64)
OPPONENT /= np.linalg.norm(OPPONENT, axis=1, keepdims=True)  # orthonormal rows: luma, chroma 1, chroma 2


def opponent(picture: np.ndarray) -> np.ndarray:
    """RGB (H, W, 3) -> (H, W, 3) on the luma, chroma 1, chroma 2 axes; squared error is kept axis by axis."""
    return picture.astype(np.float64) @ OPPONENT.T


def high_frequency_energy(picture: np.ndarray) -> np.ndarray:
    """Mean squared high-pass (picture less its 5x5 box mean) of each opponent axis: (luma, chroma 1, chroma 2)."""
    axes = opponent(picture)
    return np.array([np.mean((a - uniform_filter(a, size=5, mode="reflect")) ** 2)
                     for a in np.moveaxis(axes, -1, 0)])


def chroma_detail(picture: np.ndarray) -> float:
    """Chroma high-frequency energy over luma's: 0 for a gray picture."""
    luma, *chroma = high_frequency_energy(picture)
    return float(sum(chroma) / max(luma, 1e-12))


def read_rgb(path: Path) -> np.ndarray:
    return as_rgb(read_image(path))


def detail(folders: list[str]) -> None:
    for folder in folders:
        ratios = np.array([chroma_detail(read_rgb(p)) for p in list_images(folder)])
        print(f"{folder}: {len(ratios)} pictures, chroma / luma high-frequency energy median {np.median(ratios):.3f}, "
              f"mean {ratios.mean():.3f}")


def errors(clean_folder: str, outputs: list[str]) -> None:
    labels = [Path(o).parts[-3] if len(Path(o).parts) >= 3 else o for o in outputs]
    print("picture      " + "  ".join(f"{label[:24]:>24}: MSE luma / c1 / c2, chroma HF kept" for label in labels))
    for path in list_images(clean_folder):
        clean = read_rgb(path).astype(np.float64)
        clean_hf = high_frequency_energy(clean)
        cells = []
        for folder in outputs:
            out_path = Path(folder) / f"{path.stem}.png"
            if not out_path.is_file():
                cells.append(f"{'(no output)':>58}")
                continue
            out = read_rgb(out_path).astype(np.float64)
            mse = np.mean(opponent(out - clean) ** 2, axis=(0, 1))
            clean_chroma = clean_hf[1:].sum()  # 0 for a gray picture: nothing to keep, nothing to divide by
            kept = f"{high_frequency_energy(out)[1:].sum() / clean_chroma:4.2f}" if clean_chroma > 1e-6 else "gray"
            cells.append(f"{mse[0]:7.1f} / {mse[1]:6.1f} / {mse[2]:6.1f}, {kept:>4}".rjust(58))
        print(f"{path.stem[:12]:12} " + "  ".join(cells))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("detail", help="chroma / luma high-frequency energy of folders of pictures")
    d.add_argument("folders", nargs="+")
    e = sub.add_parser("errors", help="each output's squared error per opponent axis, and chroma detail kept")
    e.add_argument("clean", help="the clean pictures")
    e.add_argument("outputs", nargs="+", help="folders of outputs named as the clean pictures (.png)")
    args = p.parse_args(argv)
    for folder in [*getattr(args, "folders", []), *([args.clean] if args.command == "errors" else [])]:
        if not Path(folder).is_dir():
            print(f"chroma_report: {folder} is not a folder; give folders of pictures", file=sys.stderr)
            return 2
    if args.command == "detail":
        detail(args.folders)
    else:
        errors(args.clean, args.outputs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
