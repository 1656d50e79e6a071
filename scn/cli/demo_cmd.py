"""`scn demo --out DIR`: restore a real photograph that matplotlib ships, degraded for each task, with the shipped
models; write side-by-side comparisons and print a PSNR table. No network, no arguments needed."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..data.color import to_uint8
from ..data.samples import demo_photo
from ..errors import ScnError
from ..inference.api import restore
from ..tasks import Task, get_task
from ..training.plot import new_figure
from ..zoo import ZooError

DEMOS = (("sr", 2), ("sr", 4), ("denoise", 25), ("jpeg", 10))


def add_parser(sub: Any) -> None:
    p = sub.add_parser("demo", help="restore a bundled photograph for every task and show the results",
                       description=__doc__)
    p.add_argument("--out", default="scn-demo", metavar="DIR", help="where the comparison PNGs go")
    p.set_defaults(run=run)


def save_comparison(path: Path, panels: list[tuple[np.ndarray, str]], title: str) -> None:
    fig = new_figure(figsize=(4.2 * len(panels), 8.6))
    axes = fig.subplots(2, len(panels))
    h, w = panels[0][0].shape[:2]
    half = min(h, w) // 7
    cy, cx = int(h * 0.42), w // 2  # a zoomed crop of the face, where differences show
    for column, (img, caption) in enumerate(panels):
        crop = img[cy - half: cy + half, cx - half: cx + half]
        for row, shown in enumerate((img, crop)):
            ax = axes[row, column]
            ax.imshow(shown, cmap="gray" if img.ndim == 2 else None, vmin=0, vmax=255, interpolation="nearest")
            ax.set_title(caption if row == 0 else "zoomed", fontsize=10)
            ax.axis("off")
    fig.suptitle(title)
    fig.tight_layout()
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=100)
    tmp.replace(path)


def run_one(t: Task, setting: int, photo: np.ndarray, out: Path) -> dict[str, Any]:
    start = time.perf_counter()
    degraded, clean = t.example(photo, setting)
    if t.resizes:  # SR: the LR image in, bicubic as the input's score
        result = restore(degraded, t, **{t.setting: setting})
        base = t.score(t.upscale(degraded, setting), clean, setting)  # type: ignore[attr-defined]
        shown_input = np.repeat(np.repeat(degraded, setting, axis=0), setting, axis=1)
        caption = f"input: LR {t.label(setting)} (bicubic {base['psnr']:.2f} dB)"
    else:
        result = t.to_uint8(restore(degraded.astype(np.float32), t, **{t.setting: setting}))
        shown_input = to_uint8(np.clip(degraded, 0, 1) * 255)
        base = t.score(shown_input, clean, setting)
        caption = f"input: {t.title}, {t.label(setting)} ({base['psnr']:.2f} dB)"
    ours = t.score(result, clean, setting)
    panels = [(shown_input, caption), (result, f"SCN: {ours['psnr']:.2f} dB"),
              (clean, "ground truth")]
    seconds = time.perf_counter() - start
    name = f"{t}_{t.file_label(setting)}.png"
    save_comparison(out / name, panels, f"scn demo: {t} {setting} (Grace Hopper, matplotlib sample data)")
    return {"task": t.name, "setting": setting, "input": base["psnr"], "scn": ours["psnr"], "seconds": seconds,
            "file": out / name}


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    photo = demo_photo()
    rows, skipped = [], []
    for task, setting in DEMOS:
        try:
            rows.append(run_one(get_task(task), setting, photo, out))
        except ZooError as e:
            skipped.append(f"{task} {setting}: {e}")
    print(f"{'task':<9}{'setting':>8}{'input dB':>10}{'SCN dB':>9}{'gain':>7}{'s':>7}  comparison")
    for r in rows:
        print(f"{r['task']:<9}{r['setting']:>8}{r['input']:>10.2f}{r['scn']:>9.2f}{r['scn'] - r['input']:>+7.2f}"
              f"{r['seconds']:>7.1f}  {r['file']}")
    for s in skipped:
        print(f"skipped {s}", file=sys.stderr)
    if not rows:
        raise ScnError("no task has shipped weights in this version, so there is nothing to show")
    return 0
