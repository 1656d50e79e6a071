"""`scn export --model NAME|PATH --format onnx|pt2 -o FILE`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..errors import ScnError


def add_parser(sub: Any) -> None:
    p = sub.add_parser("export", help="export a model to ONNX or a torch.export program",
                       description="Export with dynamic height and width (padding and cropping in the graph).")
    p.add_argument("--model", required=True, metavar="NAME|PATH", help="a checkpoint or a shipped model name")
    p.add_argument("--format", choices=("onnx", "pt2", "torchscript"), default="onnx")
    p.add_argument("-o", "--output", required=True, metavar="FILE")
    p.add_argument("--overwrite", action="store_true")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..checkpoint import load_model
    from ..inference.export import export_onnx, export_program
    from ..zoo import find_pretrained, load_pretrained, pretrained_models

    out = Path(args.output)
    if out.exists() and not args.overwrite:
        raise ScnError(f"{out} exists; add --overwrite to replace it")
    if not out.parent.is_dir():
        raise ScnError(f"{out.parent}: no such folder")
    if args.format == "torchscript":
        raise ScnError("TorchScript cannot keep height and width dynamic here (tracing bakes the pyramid's sizes); "
                       "use --format pt2 (torch.export) or --format onnx")
    if Path(args.model).is_file() or args.model.endswith(".safetensors"):
        model = load_model(args.model)
    else:
        named = [e for e in pretrained_models() if e.name == args.model]
        model = load_pretrained(named[0] if named else find_pretrained(args.model, "sr", 2))
    path = export_onnx(model, out) if args.format == "onnx" else export_program(model, out)
    print(f"wrote {path}")
    return 0
