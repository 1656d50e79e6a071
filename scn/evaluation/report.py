"""Benchmark output: a paper-style table (sets x settings, PSNR / SSIM per method), JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

from ..atomic import atomic_write
from ..errors import ScnError
from .runner import Row


def set_width(datasets: Iterable[str]) -> int:
    """The width of a table's set column: whole names, a folder's too."""
    return max(12, *(len(d) + 2 for d in datasets))


def format_table(rows: list[Row]) -> str:
    methods = list(dict.fromkeys(r.method for r in rows))
    keys = list(dict.fromkeys((r.dataset, r.setting) for r in rows))
    by_key = {(r.method, r.dataset, r.setting): r for r in rows}
    width = max(16, *(len(m) + 2 for m in methods))  # whole names: never cut
    first = set_width(d for d, _ in keys)
    lines = [f"{'set':<{first}}{'setting':<9}" + "".join(f"{m:>{width}}" for m in methods)]
    lines.append("-" * len(lines[0]))
    for dataset, setting in keys:
        cells = []
        for m in methods:
            r = by_key.get((m, dataset, setting))
            cells.append((f"{r.psnr:>7.2f} / {r.ssim:.4f}" if r else "-").rjust(width))
        task = next(r.task for r in rows if (r.dataset, r.setting) == (dataset, setting))
        lines.append(f"{dataset:<{first}}{task.label(setting):<9}" + "".join(cells))
    if any(r.psnr_b is not None for r in rows):
        lines.append("PSNR-B: " + ", ".join(f"{r.method} {r.dataset} {r.task.label(r.setting)} {r.psnr_b:.2f}"
                                          for r in rows if r.psnr_b is not None))
    return "\n".join(lines)


def format_levels(rows: list[Row]) -> str:
    """For rows whose pictures carry the noise level fed to the model (estimated from each picture): its mean and
    its mean absolute error against the setting, one line per method, set and setting."""
    lines = []
    for r in rows:
        levels = [img["level"] for img in r.images if "level" in img]
        if levels:
            error = float(np.mean([abs(v - r.setting) for v in levels]))
            lines.append(f"{r.method} on {r.dataset} at {r.task.label(r.setting)}: estimated sigma "
                         f"{np.mean(levels):.1f} on average (mean absolute error {error:.2f})")
    return "\n".join(lines)


@dataclass(frozen=True)
class PictureCount:
    """On how many pictures of a set `method` scored a higher PSNR than `versus`, and by how much on average."""
    method: str
    versus: str
    dataset: str
    setting: int
    higher: int
    of: int
    mean_gain: float

    def to_dict(self) -> dict:
        return {**asdict(self), "mean_gain": round(self.mean_gain, 4)}


def picture_counts(rows: list[Row], versus: str) -> list[PictureCount]:
    """Every other method against `versus`, picture by picture, on each set and setting both scored."""
    by_key = {(r.method, r.dataset, r.setting): r for r in rows}
    if not any(r.method == versus for r in rows):
        raise ScnError(f"--versus {versus}: no such method among the rows "
                       f"({', '.join(dict.fromkeys(r.method for r in rows))})")
    counts = []
    for r in rows:
        ref = by_key.get((versus, r.dataset, r.setting))
        if r.method == versus or ref is None:
            continue
        theirs = {img["name"]: img["psnr"] for img in ref.images}
        ours = {img["name"]: img["psnr"] for img in r.images}
        if theirs.keys() != ours.keys():
            raise ScnError(f"{r.method} and {versus} were scored on different pictures of {r.dataset} at "
                           f"{r.task.label(r.setting)}; score both on the same set")
        gains = [ours[name] - theirs[name] for name in ours]
        counts.append(PictureCount(r.method, versus, r.dataset, r.setting, sum(g > 0 for g in gains), len(gains),
                                   float(np.mean(gains)) if gains else 0.0))
    return counts


def format_counts(counts: list[PictureCount], rows: list[Row]) -> str:
    """`picture_counts` as a table: 'higher / of (mean gain)' per method, set and setting."""
    if not counts:
        return ""
    task = rows[0].task
    methods = list(dict.fromkeys(c.method for c in counts))
    width = max(18, *(len(m) + 2 for m in methods))
    by_key = {(c.method, c.dataset, c.setting): c for c in counts}
    first = set_width(c.dataset for c in counts)
    lines = [f"pictures with a higher PSNR than {counts[0].versus} (mean difference, dB)",
             f"{'set':<{first}}{'setting':<9}" + "".join(f"{m:>{width}}" for m in methods)]
    lines.append("-" * len(lines[1]))
    for dataset, setting in dict.fromkeys((c.dataset, c.setting) for c in counts):
        cells = []
        for m in methods:
            c = by_key.get((m, dataset, setting))
            cells.append((f"{c.higher}/{c.of} ({c.mean_gain:+.2f})" if c else "-").rjust(width))
        lines.append(f"{dataset:<{first}}{task.label(setting):<9}" + "".join(cells))
    return "\n".join(lines)


PROTOCOL = ("task", "color", "clip")  # what makes the degraded pictures: rows must agree on it to share a table


def read_rows(path: str | Path, protocol: dict) -> list[Row]:
    """The rows an earlier `scn benchmark --json` wrote, checked to have been scored under `protocol` (the same
    task, colour and noise clipping: the same degraded pictures)."""
    try:
        data = json.loads(Path(path).read_text())
        rows = [Row.from_dict(d) for d in data["rows"]]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ScnError(f"--rows-from {path}: not a JSON file `scn benchmark --json` wrote ({e})") from None
    for key in PROTOCOL:
        if data.get(key, False) != protocol[key]:
            raise ScnError(f"--rows-from {path}: scored with {key}={data.get(key, False)}, this run with "
                           f"{key}={protocol[key]}; its pictures were degraded otherwise")
    return rows


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
