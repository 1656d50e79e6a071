"""`scn models`: the registered configurations with task, scale, parameters and MACs per output pixel."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..archs import build
from ..complexity import count_params, macs_per_pixel
from ..config import get_entry, model_names
from ..zoo import default_uses, pretrained_models


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
    return {"name": name, "arch": c.arch, "task": c.task.name, "scale": c.scale, "channels": c.channels,
            "blocks": c.num_blocks, "features": c.num_features, "width": c.width, "levels": c.num_scales,
            "ratio": c.ratio, "params": params, "macs_per_pixel": round(macs_per_pixel(c)),
            "description": entry.description}


def run_pretrained(args: argparse.Namespace) -> int:
    entries = [e for e in pretrained_models() if args.filter in e.name or any(args.filter in a for a in e.aliases)]
    uses = default_uses()
    if args.json:
        print(json.dumps([{**e.to_dict(), "default_for": [{"pictures": u.pictures, "settings": u.settings_text()}
                                                          for u in uses if u.entry == e]} for e in entries], indent=2))
        return 0
    if not entries:
        print("no pretrained weights are shipped in this version")
        return 0
    rows = [(e.name, ", ".join(e.aliases), e.task.name, e.setting_text() + (", 8-bit noise" if e.clipped_noise else ""),
             f"{e.steps:,}", ", ".join(f"{k} {v:.2f}" for k, v in e.dev_psnr.items())) for e in entries]
    print(*aligned([("name", "older name", "task", "setting", "steps", "dev PSNR (dB)"), *rows], right={4}),
          sep="\n")
    print("\n`--model NAME` takes any name above (or an older one), `scn` for the default of a task, or a "
          "checkpoint file.\nNAME.TAG is the registered configuration NAME (`scn models`) trained as TAG says; "
          "`scn info NAME.TAG` shows its whole configuration.")
    if not args.filter:
        rows = [(u.entry.task.name, u.pictures, u.entry.name, u.settings_text()) for u in uses]
        print("\nWithout --model (or with `--model scn`), `scn restore`, `scn.restore` and `scn serve` take:",
              *("  " + line for line in aligned([("task", "pictures", "model", "for"), *rows])),
              "(`--luma-only`: a colour picture takes the gray model)", sep="\n")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.pretrained:
        return run_pretrained(args)
    rows = [describe(n) for n in model_names() if args.filter in n]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    table = [(r["name"], r["task"], str(r["scale"]), str(r["levels"]), f"{r['params']:,}", f"{r['macs_per_pixel']:,}",
              r["description"]) for r in rows]
    lines = aligned([("name", "task", "scale", "levels", "params", "MACs/px", "description"), *table],
                    right={2, 3, 4, 5})
    print(lines[0], "-" * len(lines[0]), *lines[1:], sep="\n")
    return 0


def aligned(rows: list[tuple[str, ...]], right: frozenset[int] | set[int] = frozenset()) -> list[str]:
    """Rows as lines of columns as wide as their widest cell (two spaces apart; columns in `right` flush
    right; the last column left ragged)."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for row in rows:
        cells = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))]
        cells[-1] = row[-1]
        out.append("  ".join(cells).rstrip())
    return out
