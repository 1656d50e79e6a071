"""ONNX export time with the bilinear resize traced as one operator (what `scn export` does) against tracing
F.interpolate's decomposition, alternating, after a warm-up export; and the largest difference between the two
files' outputs in ONNX Runtime on three odd sizes (0 expected: both write a Resize node).

    .venv/bin/python benchmarks/export_time.py [--model scn_small_x2.bicubic] [--repeats 2]

Not a test: the seconds depend on the machine (docs/speed.md holds those of a run).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

import scn
import scn.inference.export as export


def export_seconds(model: scn.RestorationNet, path: Path, one_op: bool) -> float:
    real = export._one_op_resize
    if not one_op:
        export._one_op_resize = lambda: None  # type: ignore[assignment]
    try:
        began = time.perf_counter()
        export.export_onnx(model, path)
        return time.perf_counter() - began
    finally:
        export._one_op_resize = real  # type: ignore[assignment]


def largest_difference(a: Path, b: Path) -> float:
    import onnxruntime as ort

    first, second = ort.InferenceSession(str(a)), ort.InferenceSession(str(b))
    name, channels = first.get_inputs()[0].name, first.get_inputs()[0].shape[1]
    worst = 0.0
    for size in [(97, 113), (64, 64), (200, 51)]:
        x = np.random.default_rng(0).random((1, channels, *size), dtype=np.float32)
        worst = max(worst, float(np.abs(first.run(None, {name: x})[0] - second.run(None, {name: x})[0]).max()))
    return worst


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="scn_small_x2.bicubic")
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(1)
    model = scn.resolve(args.model).load()
    with tempfile.TemporaryDirectory() as tmp:
        files = {True: Path(tmp) / "one_op.onnx", False: Path(tmp) / "interpolate.onnx"}
        export_seconds(model, Path(tmp) / "warm.onnx", one_op=False)
        times: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(args.repeats):
            for one_op in (False, True):
                times[one_op].append(export_seconds(model, files[one_op], one_op))
        print(f"{args.model}, one thread: F.interpolate traced {' / '.join(f'{t:.1f}' for t in times[False])} s, "
              f"one operator {' / '.join(f'{t:.1f}' for t in times[True])} s; largest output difference "
              f"{largest_difference(files[True], files[False]):.2g}")


if __name__ == "__main__":
    main()
