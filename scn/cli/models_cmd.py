"""`scn models`: the registered configurations with task, scale, parameters and MACs per output pixel."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..archs import build
from ..complexity import count_params, macs_per_pixel
from ..registry import get_entry, model_names
from ..zoo import pretrained_models


def add_parser(sub: Any) -> None:
    p = sub.add_parser("models", help="list the named model configurations",
                       description="List the registered model configurations.")
    p.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    p.add_argument("--filter", metavar="TEXT", default="", help="only names containing TEXT")
    p.add_argument("--pretrained", action="store_true",
                   help="list the weights shipped in the package: the names every command accepts as --model")
    p.set_defaults(run=run)


def describe(name: str) -> dict[str, Any]:
    entry = get_entry(name)
    c = entry.config
    params = count_params(build(c))
    return {"name": name, "arch": c.arch, "task": c.task, "scale": c.scale, "channels": c.channels,
            "blocks": c.num_blocks, "features": c.num_features, "width": c.width, "levels": c.num_scales,
            "ratio": c.ratio, "params": params, "macs_per_pixel": round(macs_per_pixel(c)),
            "description": entry.description}


def run_pretrained(args: argparse.Namespace) -> int:
    entries = [e for e in pretrained_models() if args.filter in e.name or any(args.filter in a for a in e.aliases)]
    if args.json:
        print(json.dumps([e.to_dict() for e in entries], indent=2))
        return 0
    if not entries:
        print("no pretrained weights are shipped in this version")
        return 0
    print(f"{'name':<25}{'older name':<17}{'task':<9}{'setting':<12}{'steps':>6}  dev PSNR (dB)")
    for e in entries:
        dev = ", ".join(f"{k} {v:.2f}" for k, v in e.dev_psnr.items())
        print(f"{e.name:<25}{', '.join(e.aliases):<17}{e.task:<9}{e.setting_text():<12}{e.steps:>6}  {dev}")
    print("\n`--model NAME` takes any name above (or an older one), `scn` for the default of a task, or a "
          "checkpoint file.\nNAME.TAG is the registered configuration NAME (`scn models`) trained as TAG says; "
          "`scn info NAME.TAG` shows its whole configuration.")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.pretrained:
        return run_pretrained(args)
    rows = [describe(n) for n in model_names() if args.filter in n]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    header = f"{'name':<24}{'task':<9}{'scale':>5}{'levels':>7}{'params':>13}{'MACs/px':>12}  description"
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r['name']:<24}{r['task']:<9}{r['scale']:>5}{r['levels']:>7}{r['params']:>13,}"
              f"{r['macs_per_pixel']:>12,}  {r['description']}")
    return 0
