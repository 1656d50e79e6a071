"""`scn info NAME|PATH`: the hyperparameters, size and metadata of a checkpoint, a shipped model or a registered
configuration (any name `scn.resolve` takes)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..archs import build
from ..checkpoint import read_metadata
from ..complexity import count_params, macs_per_pixel
from ..resolve import resolve
from .options import add_task_options, task_and_setting


def add_parser(sub: Any) -> None:
    p = sub.add_parser("info", help="describe a model name or an scn checkpoint",
                       description="Describe a registered model name or an scn checkpoint file.")
    p.add_argument("model", metavar="NAME|PATH", help="a checkpoint, a shipped model or a registered name")
    add_task_options(p, None, "with `scn` or a registered name: describe the shipped model for this task")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    task, setting = task_and_setting(args)
    source = resolve(args.model, task, setting, weights=task is not None)
    config = source.config
    metadata: dict[str, str] = {}
    if source.path is not None:
        metadata = read_metadata(source.path)
    elif source.entry is not None:
        metadata = {"shipped": source.entry.name, "setting": source.entry.setting_text(),
                    "training_data": source.entry.training_data, "steps": str(source.entry.steps)}
    info = {"config": config.to_dict(), "params": count_params(build(config)),
            "macs_per_pixel": round(macs_per_pixel(config))}
    extra = {k: v for k, v in metadata.items() if k not in info["config"] and k != "config"}
    if extra:
        info["metadata"] = extra
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    for key, value in {**info["config"], "params": f"{info['params']:,}",
                       "MACs per output pixel": f"{info['macs_per_pixel']:,}", **extra}.items():
        print(f"{key:>22}: {value}")
    return 0
