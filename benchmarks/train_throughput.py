"""Training throughput: patches/s of `scn train` against a bare PyTorch loop on random tensors, same model.

    .venv/bin/python benchmarks/train_throughput.py [--model scn_small_x2] [--steps 24] [--warmup 4]
    .venv/bin/python benchmarks/train_throughput.py --compile [--model scn_denoise_rgb --batch 4 --patch 96]

`--compile` times instead the bare loop (channels_last, as `scn train` runs) eager and with the model under
`torch.compile` (compile time left out). `--amp` times it (channels_last) in fp32 and under the CPU's bf16
autocast (`train.cpu_amp`), alternating, twice each: AMX gave 2.86x, AVX-512 BF16 alone none on one AMD
EPYC and 1.94x on another.
`--layout` times it in fp32 with channels-last and with contiguous memory (`train.channels_last`), alternating,
twice each; `--noise-map` gives the model the noise-level input of the told denoisers.

The model is the paper's ablation size (8 blocks, 32 features, x4 width, 4 levels) at batch 16 of 48x48 LR
patches; `scn train` reads T91 from ../shared (or synthetic images when it is absent). Not a test: the numbers
depend on the machine; docs/training.md holds those of a run.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

import scn
from scn.training import Trainer, config_from_dict

SHARED_T91 = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "train" / "T91"


def bare_loop(model_name: str, steps: int, warmup: int, batch: int, patch: int, compile: bool = False,
              channels_last: bool = False, amp: bool = False, noise_map: bool = False) -> tuple[float, float]:
    """Patches/s over the steps after `warmup`, and the seconds the warm-up steps took (compiling included)."""
    torch.manual_seed(0)
    model = scn.create_model(model_name, **({"noise_map": True} if noise_map else {}))
    c, s = model.config, model.config.scale
    form = torch.channels_last if channels_last else torch.contiguous_format
    model.to(memory_format=form)
    forward = torch.compile(model) if compile else model
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    x = torch.rand(batch, c.in_channels, patch, patch).contiguous(memory_format=form)
    y = torch.rand(batch, c.channels, patch * s, patch * s).contiguous(memory_format=form)
    began = time.perf_counter()
    for i in range(steps):
        if i == warmup:
            start = time.perf_counter()
        with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=amp):
            out = forward(x).float()
        loss = F.l1_loss(out, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return (steps - warmup) * batch / (time.perf_counter() - start), start - began


def through_scn_train(model_name: str, steps: int, warmup: int, batch: int, patch: int, workers: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        data = SHARED_T91
        if not data.is_dir():
            data = Path(tmp) / "images"
            data.mkdir()
            rng = np.random.default_rng(0)
            for i in range(8):
                Image.fromarray(rng.integers(0, 256, (256, 256, 3), dtype=np.uint8)).save(data / f"{i}.png")
        config = config_from_dict({
            "model": {"name": model_name}, "task": {"type": "sr", "scale": scn.get_config(model_name).scale},
            "data": {"train": [str(data)], "patch_size": patch, "batch_size": batch, "workers": workers,
                     "cache_dir": str(Path(tmp) / "cache")},
            "train": {"steps": steps, "log_every": 1, "checkpoint_every": 10**9, "val_every": 10**9},
        })
        out = Path(tmp) / "run"
        Trainer(config, out, progress=False).run()
        rows = {int(r["step"]): float(r["seconds"]) for r in csv.DictReader((out / "log.csv").open())}
    return (steps - warmup) * batch / (rows[steps] - rows[warmup])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="scn_small_x2")
    ap.add_argument("--steps", type=int, default=24)
    ap.add_argument("--warmup", type=int, default=4)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--patch", type=int, default=48)
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--compile", action="store_true", help="bare loop eager against compiled (no scn train)")
    ap.add_argument("--amp", action="store_true", help="bare loop in fp32 against bf16 autocast (no scn train)")
    ap.add_argument("--layout", action="store_true",
                    help="bare loop channels-last against contiguous memory (no scn train)")
    ap.add_argument("--noise-map", action="store_true", help="the model told the noise level (an input channel)")
    args = ap.parse_args()
    print(f"{args.model}, batch {args.batch} of {args.patch}x{args.patch}, {torch.get_num_threads()} threads, "
          f"steps {args.warmup + 1}..{args.steps} timed")
    if args.amp:
        rates: dict[bool, list[float]] = {False: [], True: []}
        for amp in (False, True, False, True):
            rate, _ = bare_loop(args.model, args.steps, args.warmup, args.batch, args.patch, channels_last=True,
                                amp=amp)
            rates[amp].append(rate)
            print(f"bare loop, {'bf16 autocast' if amp else 'fp32         '}: {rate:7.2f} patches/s "
                  f"({args.batch / rate:.2f} s/step)")
        print(f"bf16 / fp32: {max(rates[True]) / max(rates[False]):.2f}")
        return
    if args.layout:
        layouts: dict[bool, list[float]] = {True: [], False: []}
        for channels_last in (True, False, True, False):
            rate, _ = bare_loop(args.model, args.steps, args.warmup, args.batch, args.patch,
                                channels_last=channels_last, noise_map=args.noise_map)
            layouts[channels_last].append(rate)
            print(f"bare loop, {'channels-last' if channels_last else 'contiguous   '}: {rate:7.2f} patches/s "
                  f"({args.batch / rate:.2f} s/step)")
        print(f"contiguous / channels-last: {max(layouts[False]) / max(layouts[True]):.2f}")
        return
    bare, _ = bare_loop(args.model, args.steps, args.warmup, args.batch, args.patch, channels_last=args.compile)
    print(f"bare PyTorch loop, random tensors: {bare:7.2f} patches/s ({args.batch / bare:.2f} s/step)")
    if args.compile:
        compiled, warm = bare_loop(args.model, args.steps, args.warmup, args.batch, args.patch, compile=True,
                                   channels_last=True)
        print(f"the same, torch.compile:           {compiled:7.2f} patches/s ({args.batch / compiled:.2f} s/step); "
              f"its first {args.warmup} steps, compiling included: {warm:.0f} s")
        print(f"compiled / eager: {compiled / bare:.3f}")
        return
    ours = through_scn_train(args.model, args.steps, args.warmup, args.batch, args.patch, args.workers)
    print(f"scn train (T91, workers={args.workers}):  {ours:7.2f} patches/s ({args.batch / ours:.2f} s/step)")
    print(f"ratio: {ours / bare:.3f}")


if __name__ == "__main__":
    main()
