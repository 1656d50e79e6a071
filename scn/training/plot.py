"""The training-curve plot written at the end of every run (and at each validation)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def new_figure(**options: Any) -> Figure:
    """A matplotlib figure (its object API: no pyplot, so the caller's backend is left alone). matplotlib takes a
    second to import: it is imported here, when something is drawn, so `scn` commands start without it."""
    from matplotlib.figure import Figure

    return Figure(**options)


def baseline_in_view(model: list[float], baseline: list[float]) -> bool:
    """Whether the degraded input's PSNR is drawn beside the model's: not when it lies further from the model's
    curve than the curve spans (and 0.5 dB), which would flatten the curve (a fine-tune moving 0.01 dB, 11 dB above
    its noisy input)."""
    span = max(max(model) - min(model), 0.5)
    return min(model) - max(baseline) <= span and min(baseline) - max(model) <= span


def plot_curves(log_csv: Path, out_png: Path, title: str = "", loss_name: str = "l1") -> Path | None:
    """Loss and validation PSNR (with the degraded input's PSNR) against the step; None for an empty log.
    (matplotlib's object API: no pyplot, so the caller's backend is left alone.)"""
    rows = list(csv.DictReader(log_csv.open()))
    if not rows:
        return None
    logged = [r for r in rows if r["loss"]]  # a validation on a step that is not a logging step has no loss
    steps = [int(r["step"]) for r in logged]
    loss = [float(r["loss"]) for r in logged]
    val = [(int(r["step"]), float(r["val_psnr"]), float(r["val_baseline_psnr"])) for r in rows if r["val_psnr"]]
    fig = new_figure(figsize=(10, 3.6))
    ax1, ax2 = fig.subplots(1, 2)
    ax1.plot(steps, loss, lw=1)
    ax1.set(xlabel="step", ylabel=f"{loss_name.upper()} loss", title="training loss")
    ax1.set_yscale("log")
    subtitle = ""
    if val:
        val_steps, model, baseline = (list(column) for column in zip(*val))
        ax2.plot(val_steps, model, "o-", label="model")
        if baseline_in_view(model, baseline):
            ax2.plot(val_steps, baseline, "--", color="gray", label="degraded input")
            ax2.legend()
        else:  # a fine-tune's curve would be a flat line beside it: say the number instead
            subtitle = f" (degraded input {min(baseline):.2f} dB)"
    ax2.set(xlabel="step", ylabel="PSNR (dB)", title=f"validation{subtitle}")
    ax2.ticklabel_format(axis="y", useOffset=False)  # 32.09, not 0.004 + 3.209e1
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    tmp = out_png.with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=90)
    tmp.replace(out_png)
    return out_png
