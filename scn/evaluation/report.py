"""Benchmark output: a paper-style table (sets x settings, PSNR / SSIM per method), JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from ..atomic import atomic_write
from .runner import Row


def format_table(rows: list[Row]) -> str:
    methods = list(dict.fromkeys(r.method for r in rows))
    keys = list(dict.fromkeys((r.dataset, r.setting) for r in rows))
    by_key = {(r.method, r.dataset, r.setting): r for r in rows}
    width = max(16, *(len(m) + 2 for m in methods))  # whole names: never cut
    lines = [f"{'set':<12}{'setting':<9}" + "".join(f"{m:>{width}}" for m in methods)]
    lines.append("-" * len(lines[0]))
    for dataset, setting in keys:
        cells = []
        for m in methods:
            r = by_key[(m, dataset, setting)]
            cells.append(f"{r.psnr:>7.2f} / {r.ssim:.4f}".rjust(width))
        lines.append(f"{dataset:<12}{r.task.label(setting):<9}" + "".join(cells))
    if any(r.psnr_b is not None for r in rows):
        lines.append("PSNR-B: " + ", ".join(f"{r.method} {r.dataset} {r.task.label(r.setting)} {r.psnr_b:.2f}"
                                          for r in rows if r.psnr_b is not None))
    return "\n".join(lines)


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda tmp: Path(tmp).write_text(text, newline=""))


def write_json(rows: list[Row], path: str | Path, meta: dict) -> None:
    _atomic_write(Path(path), json.dumps({**meta, "rows": [r.to_dict() for r in rows]}, indent=1) + "\n")


def write_csv(rows: list[Row], path: str | Path) -> None:
    buf = io.StringIO()
    fields = ["method", "dataset", "task", "setting", "psnr", "ssim", "psnr_b", "num_images", "seconds"]
    writer = csv.DictWriter(buf, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    for r in rows:
        writer.writerow(r.to_dict())
    _atomic_write(Path(path), buf.getvalue())
