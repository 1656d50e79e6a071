"""Does a denoiser told the noise level use it? PSNR told levels around the true one, per set and true sigma.

Each picture is noised as `scn benchmark` noises it (the same seeded noise; `--clip`: clipped and rounded to 8
bits) at each true sigma, and restored by a model with a noise-level input (`noise_map`) told each level of
`--ratios` x the true one. A model that reads the level scores best told the truth (ratio 1) and its PSNR falls
away on both sides; a flat row is a model that restores alike whatever it is told (the knob does little), and a
peak below 1 is a model that removes too much. Prints a table (mean RGB PSNR per told level, the best ratio) and
draws the curves to --plot.

    .venv/bin/python benchmarks/told_level.py --model scn_denoise_rgb.sigma [--data Set14 Kodak24]
        [--holdout-of configs/zoo/denoise_rgb_sigma.yaml] [--sigma 15 25 50] [--ratios 0.6 0.8 1 1.2 1.4] [--clip]
        [--plot runs/told_level.png]

`--holdout-of CONFIG` scores the pictures a training config holds out for validation (data.holdout) instead.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from matplotlib.figure import Figure
from noise_level import cpu_model

from scn.data.degrade import clip_to_8_bits
from scn.evaluation.methods import NetworkMethod, make_method
from scn.evaluation.runner import load_test_files, load_test_set, test_set_folder
from scn.tasks import get_task
from scn.training.config import holdout_files, load_config


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="a shipped name or a checkpoint with a noise-level input")
    ap.add_argument("--data", nargs="+", default=["Set14"])
    ap.add_argument("--holdout-of", default=None, help="a training config: its held-out pictures, not --data")
    ap.add_argument("--sigma", type=float, nargs="+", default=[15, 25, 50], help="true levels")
    ap.add_argument("--ratios", type=float, nargs="+", default=[0.6, 0.8, 1.0, 1.2, 1.4])
    ap.add_argument("--clip", action="store_true", help="noisy pictures clipped and rounded to 8 bits")
    ap.add_argument("--plot", default=None, help="PNG of PSNR against the told / true ratio")
    args = ap.parse_args()
    task = get_task("denoise")
    method = make_method(args.model, task, channels=3)
    if not isinstance(method, NetworkMethod) or not method.told_level(int(args.sigma[0])):
        raise SystemExit(f"{args.model}: not a denoiser told the noise level (no noise_map input)")
    print(f"# {args.model}; RGB PSNR; noise {'clipped' if args.clip else 'unclipped'}; {cpu_model()}")
    print(f"{'set':<10}{'sigma':>6}" + "".join(f"{f'x{r:g}':>9}" for r in args.ratios) + f"{'best':>7}{'s':>7}")
    curves: dict[str, list[float]] = {}
    if args.holdout_of:
        test_sets = [load_test_files(holdout_files(load_config(args.holdout_of)), "holdout", task, 3)]
    else:
        test_sets = [load_test_set(test_set_folder(name), task, 3) for name in args.data]
    for test_set in test_sets:
        for sigma in args.sigma:
            start = time.perf_counter()
            noisy = []
            for image in test_set.images:
                degraded = task.degrade(image.clean, sigma)
                noisy.append(clip_to_8_bits(degraded) if args.clip else degraded)
            means = []
            for ratio in args.ratios:  # the told level outermost: one model loaded per level
                told = sigma * ratio
                scores = [method.evaluate(image.clean, degraded, task, told, image.gray_file)[0]["psnr"]
                          for image, degraded in zip(test_set.images, noisy)]
                means.append(float(np.mean(scores)))
            best = args.ratios[int(np.argmax(means))]
            curves[f"{test_set.name} σ{sigma:g}"] = means
            print(f"{test_set.name:<10}{sigma:>6g}" + "".join(f"{m:>9.3f}" for m in means)
                  + f"{f'x{best:g}':>7}{time.perf_counter() - start:>7.0f}", flush=True)
    if args.plot:
        fig = Figure(figsize=(6, 4))
        ax = fig.subplots()
        for label, means in curves.items():
            ax.plot(args.ratios, [m - max(means) for m in means], marker="o", label=label)
        ax.axvline(1.0, color="gray", lw=0.8)
        ax.set_xlabel("told level / true level")
        ax.set_ylabel("PSNR - best of the row (dB)")
        ax.set_title(f"{args.model}: the level it is told", fontsize=9)
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(args.plot, dpi=100)
        print(f"plot: {args.plot}")


if __name__ == "__main__":
    main()
