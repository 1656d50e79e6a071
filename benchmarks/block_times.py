"""Where one block's time goes: SCN vs. WDSR at equal parameters, inference on the CPU (docs/speed.md).

    .venv/bin/python benchmarks/block_times.py [--size 256] [--threads 2]

Times (median ms) one WDSR block (body, residual add) and one SCN block on the pyramid of a size x size finest
level (level 0's body, each coarser level's body, the fusion: the block minus its bodies), weight norm folded,
channels_last, as `scn restore` runs them. Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable

import torch

import scn
from scn.archs.scn import build_pyramid
from scn.layers.conv import inference_copy
from speed_ratio import paired_times  # benchmarks/ is on the path when a script here runs


def median_ms(fn: Callable[[], object], repeats: int, warmup: int = 2) -> float:
    return statistics.median(paired_times([fn], "cpu", warmup, repeats)[0]) * 1e3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=8)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    scn.keep_freed_memory()
    scn_net = inference_copy(scn.create_model("scn_x2", align_corners=False))
    wdsr_net = inference_copy(scn.create_model("wdsr_x2"))
    c = scn_net.config
    x = torch.rand(1, c.num_features, args.size, args.size).to(memory_format=torch.channels_last)
    n = args.repeats
    with torch.inference_mode():
        levels = build_pyramid(x, c.ratio, c.num_scales, c.align_corners)
        block, wdsr_block = scn_net.body[0], wdsr_net.body[0]
        weights = block.conv.spatial.weights()
        wdsr_total = median_ms(lambda: wdsr_block(x), n)
        wdsr_body = median_ms(lambda: wdsr_block.body(x), n)
        bodies = [median_ms(lambda: block.conv.spatial.run(level, weights), n) for level in levels]
        scn_total = median_ms(lambda: block(levels), n)
    print(f"torch {torch.__version__}, {args.threads} threads, one block, finest level {args.size}x{args.size}, "
          f"median ms of {n}")
    print(f"WDSR block {wdsr_total:.1f}: body {wdsr_body:.1f}, residual add {wdsr_total - wdsr_body:.1f}")
    print(f"SCN block {scn_total:.1f}: level-0 body {bodies[0]:.1f}, levels 1-{len(bodies) - 1} bodies "
          f"{sum(bodies[1:]):.1f} ({' + '.join(f'{b:.2f}' for b in bodies[1:])}), "
          f"fusion {scn_total - sum(bodies):.1f}")
    print(f"block ratio SCN / WDSR {scn_total / wdsr_total:.2f}")


if __name__ == "__main__":
    main()
