"""The big-photo case: a 4000x3000 RGB image at x2 through `scn restore`, peak RSS and seconds per backend.

    .venv/bin/python benchmarks/big_image.py [--model PATH|NAME] [--modes eager compiled onnxruntime]

Each mode runs `scn restore` in a fresh process (so its peak RSS is its own); the image is Grace Hopper's portrait
(matplotlib's sample data) bicubically enlarged to 4000x3000. Default model: the shipped SR x2 weights, or an
untrained scn_small_x2 when none ship (the timing does not depend on the weights). Not a test; docs/restore.md
holds the numbers of a run.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

import scn
import scn.zoo
from scn.cli.demo_cmd import demo_photo


# Runs the command as its only child and prints that child's peak RSS (KiB): a fresh measurement per mode.
MEASURE = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
           "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(r.returncode)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None)
    ap.add_argument("--width", type=int, default=4000)
    ap.add_argument("--height", type=int, default=3000)
    ap.add_argument("--modes", nargs="+", default=["eager", "compiled", "onnxruntime"])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        big = scn.data.imresize(demo_photo(), output_shape=(args.height, args.width))
        Image.fromarray(big).save(tmp / "big.png")
        model = args.model
        if model is None:
            try:
                scn.zoo.find_pretrained("scn", scn.get_task("sr"), 2)
                model = "scn"
            except scn.ScnError:
                model = str(scn.save_model(scn.create_model("scn_small_x2"), tmp / "untrained.safetensors"))
        print(f"input {args.width}x{args.height} RGB, x2 -> {2 * args.width}x{2 * args.height}; model {model}")
        onnx_file = tmp / "model.onnx"
        for mode in args.modes:
            cmd = [sys.executable, "-m", "scn.cli.main", "restore", str(tmp / "big.png"), "-o",
                   str(tmp / f"out_{mode}.png"), "--scale", "2", "--no-progress"]
            if mode == "onnxruntime":
                export = [sys.executable, "-m", "scn.cli.main", "export", "--format", "onnx", "-o", str(onnx_file),
                          "--overwrite", "--model", model if model != "scn" else "scn_small_x2.bicubic"]
                subprocess.run(export, check=True, capture_output=True)
                cmd += ["--backend", "onnxruntime", "--model", str(onnx_file)]
            else:
                cmd += [] if model == "scn" else ["--model", model]
                cmd += ["--compile"] if mode == "compiled" else []
            start = time.perf_counter()
            proc = subprocess.run([sys.executable, "-c", MEASURE, *cmd], capture_output=True, text=True)
            seconds = time.perf_counter() - start
            if proc.returncode:
                print(f"{mode:<12} failed: {(proc.stderr.strip().splitlines() or ['?'])[-1]}")
                continue
            peak_kib = int(proc.stdout.strip().splitlines()[-1])
            print(f"{mode:<12} {seconds:8.1f} s   peak RSS {peak_kib / 1024**2:6.2f} GB")
            out = np.asarray(Image.open(tmp / f"out_{mode}.png"))
            print(f"{'':<12} output {out.shape[1]}x{out.shape[0]}")


if __name__ == "__main__":
    main()
