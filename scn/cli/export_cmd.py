"""`scn export --model NAME|PATH --format onnx|pt2 [--int8] -o FILE`."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Any

from ..atomic import atomic_write
from ..errors import ScnError
from ..inference.export import export_onnx, export_program
from ..inference.int8 import CacheUnwritable, int8_model, quantize
from ..resolve import resolve
from .options import add_task_options, task_and_setting


def add_parser(sub: Any) -> None:
    p = sub.add_parser("export", help="export a model to ONNX or a torch.export program",
                       description="Export with dynamic height and width (padding and cropping in the graph).")
    p.add_argument("--model", required=True, metavar="NAME|PATH",
                   help="a checkpoint or a shipped model (`scn models --pretrained`)")
    add_task_options(p, None, "with `--model scn` or a registered name: the shipped model for this task")
    p.add_argument("--format", choices=("onnx", "pt2", "torchscript"), default="onnx", help="default %(default)s")
    p.add_argument("--int8", action="store_true",
                   help="ONNX statically quantized to 8-bit integers, the file `scn restore --precision int8` runs "
                        "(made once per model and kept in ~/.cache/scn/int8)")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="the file to write")
    p.add_argument("--overwrite", action="store_true", help="replace FILE if it exists")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    out = Path(args.output)
    if out.exists() and not args.overwrite:
        raise ScnError(f"{out} exists; add --overwrite to replace it")
    if not out.parent.is_dir():
        raise ScnError(f"{out.parent}: no such folder")
    if args.format == "torchscript":
        raise ScnError("TorchScript cannot keep height and width dynamic here (tracing bakes the pyramid's sizes); "
                       "use --format pt2 (torch.export) or --format onnx")
    if args.int8 and args.format != "onnx":
        raise ScnError(f"--int8 writes ONNX (ONNX Runtime's integer kernels run it); drop --format {args.format}")
    task, setting = task_and_setting(args)
    model = resolve(args.model, task, setting).load()
    if args.int8:  # the file `scn restore --precision int8` runs: quantized once, kept in the cache for both
        try:
            cached = int8_model(model)
        except CacheUnwritable:  # quantize straight into FILE
            path = quantize(model, out)
        else:
            path = atomic_write(out, lambda tmp: shutil.copyfile(cached, tmp))
    else:
        print(f"scn export: tracing the model for {args.format} (tens of seconds)", file=sys.stderr)
        path = export_onnx(model, out) if args.format == "onnx" else export_program(model, out)
    print(f"wrote {path}")
    return 0
