"""How much detail crops of folders of pictures hold, by the score data.texture_fraction picks crops with (the mean
absolute difference of neighbouring values, 8 bits): the mean over uniform crops and over the most detailed of N,
per folder; --per-picture adds each picture's mean over uniform crops, most detailed first.

    .venv/bin/python scripts/crop_detail.py ../shared/datasets/train/BSD200 ../shared/datasets/train/T91 \\
        --pool --best-of 1 2 4 8                                     # the training pool, as one
    .venv/bin/python scripts/crop_detail.py ../shared/datasets/test/Set14 --per-picture
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from scn.data.io import as_rgb, list_images, read_image
from scn.training.data import detail


def crop_details(picture: np.ndarray, size: int, crops: int, best_of: int, rng: np.random.Generator) -> list[float]:
    """`crops` scores, each the largest of `best_of` uniform size x size crops of `picture`."""
    height, width = picture.shape[:2]
    scores = []
    for _ in range(crops):
        draws = [(int(rng.integers(0, height - size + 1)), int(rng.integers(0, width - size + 1)))
                 for _ in range(best_of)]
        scores.append(max(detail(picture[y:y + size, x:x + size]) for y, x in draws))
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="+")
    parser.add_argument("--pool", action="store_true", help="score the folders as one")
    parser.add_argument("--best-of", type=int, nargs="+", default=[1], help="crops each score picks the largest of")
    parser.add_argument("--size", type=int, default=128, help="crop side (training's data.patch_size)")
    parser.add_argument("--crops", type=int, default=4, help="scores per picture")
    parser.add_argument("--per-picture", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    groups = [("+".join(Path(f).name for f in args.folders), args.folders)] if args.pool else \
        [(Path(f).name, [f]) for f in args.folders]
    for name, folders in groups:
        pictures = {p.stem: as_rgb(read_image(p)) for f in folders for p in list_images(f)}
        pictures = {k: v for k, v in pictures.items() if min(v.shape[:2]) >= args.size}
        for best_of in args.best_of:
            rng = np.random.default_rng(args.seed)
            scores = {k: crop_details(v, args.size, args.crops, best_of, rng) for k, v in pictures.items()}
            pooled = np.concatenate([np.array(s) for s in scores.values()])
            print(f"{name}: {len(pictures)} pictures, {args.size}x{args.size} crops, most detailed of {best_of}: "
                  f"mean {pooled.mean():.1f}, median {np.median(pooled):.1f}")
            if args.per_picture:
                ranked = sorted(scores.items(), key=lambda kv: -np.mean(kv[1]))
                print("  " + ", ".join(f"{k} {np.mean(v):.1f}" for k, v in ranked))


if __name__ == "__main__":
    main()
