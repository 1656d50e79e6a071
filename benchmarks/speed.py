"""Forward time and MACs per output pixel of SCN vs. WDSR at (nearly) equal parameters, on the CPU.

    .venv/bin/python benchmarks/speed.py [--size 256] [--repeats 5] [--models scn_x2 wdsr_x2] [--no-compile]

Modes: eager (NCHW), eager channels_last, and torch.compile (inductor, freezing) with channels_last.
Not a test: numbers depend on the machine. docs/speed.md holds the numbers of a run.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

import scn


def time_forward(fn, x: torch.Tensor, repeats: int) -> float:
    with torch.inference_mode():
        fn(x)  # warm-up (and compilation)
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            fn(x)
            times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=["wdsr_x2", "scn_x2"])
    ap.add_argument("--size", type=int, default=256, help="input (LR) height and width")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--no-compile", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch._inductor.config.freezing = True  # fold weight norm and constants into the compiled graph
    print(f"torch {torch.__version__}, {args.threads} threads, input 1x3x{args.size}x{args.size}, "
          f"median of {args.repeats}")
    print(f"{'model':<12}{'params':>11}{'MACs/px':>10}{'GMAC':>8}  {'mode':<26}{'ms':>9}{'GMAC/s':>8}")
    for name in args.models:
        model = scn.create_model(name).eval()
        macs = scn.macs_per_pixel(model.config, args.size)
        gmac = scn.complexity.conv_macs(model.config, args.size, args.size) / 1e9
        x = torch.rand(1, model.config.channels, args.size, args.size)
        modes = [("eager", model, x),
                 ("eager channels_last", model.to(memory_format=torch.channels_last),
                  x.to(memory_format=torch.channels_last))]
        if not args.no_compile:
            modes.append(("compile+channels_last", torch.compile(model), x.to(memory_format=torch.channels_last)))
        for mode, fn, inp in modes:
            seconds = time_forward(fn, inp, args.repeats)
            print(f"{name:<12}{scn.count_params(model):>11,}{macs:>10,.0f}{gmac:>8.1f}  {mode:<26}"
                  f"{seconds * 1e3:>9.1f}{gmac / seconds:>8.1f}")


if __name__ == "__main__":
    main()
