"""`scn info NAME|PATH`: the hyperparameters, size and metadata of a registered model or a checkpoint."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ..archs import build
from ..checkpoint import read_metadata
from ..complexity import count_params, macs_per_pixel
from ..config import ModelConfig
from ..registry import get_config


def add_parser(sub: Any) -> None:
    p = sub.add_parser("info", help="describe a model name or an scn checkpoint",
                       description="Describe a registered model name or an scn checkpoint file.")
    p.add_argument("model", metavar="NAME|PATH")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    metadata: dict[str, str] = {}
    if Path(args.model).exists() or args.model.endswith((".safetensors", ".pth", ".pt")):
        metadata = read_metadata(args.model)
        config = ModelConfig.from_dict(json.loads(metadata["config"]))
    else:
        config = get_config(args.model)
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
