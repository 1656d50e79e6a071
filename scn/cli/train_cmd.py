"""`scn train CONFIG --out DIR [--set key=value ...] [--resume]` (also under torchrun)."""

from __future__ import annotations

import argparse
import signal
import sys
from typing import Any

from ..cpu import cpu_has_amx, cpu_has_bf16
from ..training import Trainer, load_config


def add_parser(sub: Any) -> None:
    p = sub.add_parser("train", help="train a model from a YAML config",
                       description="Train from a YAML config (configs/); torchrun --nproc_per_node N runs it "
                                   "distributed.")
    p.add_argument("config", help="a YAML config (configs/*.yaml)")
    p.add_argument("--out", required=True, metavar="DIR", help="run folder: log.csv, checkpoints, weights, plot")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config key, e.g. --set train.steps=200 (repeatable)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    p.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    p.add_argument("--time-budget", type=float, default=0.0, metavar="SECONDS",
                   help="end the run after about this long, scaling the schedule to it")
    p.add_argument("--no-progress", action="store_true", help="no progress bar, nor its log lines")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config, args.set)
    trainer = Trainer(config, args.out, resume=args.resume, device=args.device, time_budget_s=args.time_budget,
                      progress=not args.no_progress)
    if trainer.dist.main and not trainer.cuda and config.train.cpu_amp and not cpu_has_bf16():
        print("scn train: train.cpu_amp is on but this CPU has no bf16 instructions (amx_bf16, avx512_bf16): "
              "autocast emulates bf16, about 10x slower a step than fp32; --set train.cpu_amp=false "
              "(docs/training.md)", file=sys.stderr)
    final = trainer.run()
    if trainer.stop_signal is not None:
        name = signal.Signals(trainer.stop_signal).name
        if trainer.dist.main:
            print(f"scn train: stopped by {name} at step {trainer.step}; checkpoint saved in {args.out}, continue "
                  "with --resume", file=sys.stderr)
        return 128 + trainer.stop_signal
    if trainer.dist.main:
        print(f"wrote {final} (step {trainer.step}, best val PSNR {trainer.best_psnr:.3f} dB)")
        if not trainer.cuda and not config.train.cpu_amp and cpu_has_amx():
            print("scn train: this CPU has bf16 matrix units (AMX); --set train.cpu_amp=true trains about 3x "
                  "faster (docs/training.md)", file=sys.stderr)
    return 0
