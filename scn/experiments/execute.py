"""One run of a suite, in its own process (`scn experiments run-unit FOLDER`): train or continue it, then run the
evaluations it lacks (as built, and at other depths / ratios for Figs. 7 and 8) and write result.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..atomic import atomic_write
from ..checkpoint import load_model
from ..complexity import count_params, macs_per_pixel
from ..data.io import shared_path
from ..evaluation.methods import NetworkMethod
from ..evaluation.runner import TestSet, load_test_set, run_benchmark
from ..inference.tiling import Footprint
from ..training import Trainer
from ..training.config import config_from_dict
from ..training.loop import FINAL_FILE, RunSummary
from .layout import RESULT_FILE, UNIT_FILE, suite_budget
from .plan import Unit, train_config


class LevelView(nn.Module):
    """A network evaluated with another pyramid depth or level ratio than it was built with (Figs. 7, 8)."""

    def __init__(self, model: nn.Module, num_scales: int | None, ratio: float | None) -> None:
        super().__init__()
        self.model, self.num_scales, self.ratio = model, num_scales, ratio

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x, num_scales=self.num_scales, ratio=self.ratio)


def evaluate(model: nn.Module, unit: Unit, view: tuple[int | None, float | None], device: str,
             sets: list[TestSet] | None = None) -> dict[str, Any]:
    """PSNR / SSIM (and PSNR-B for JPEG) per test set (`sets`, or the unit's read now) of one network under the
    task's protocol; `view`: (levels, ratio) to evaluate at other than the built ones (None: as built)."""
    levels, ratio = view
    config = model.config  # type: ignore[attr-defined]
    network: nn.Module = model if view == (None, None) else LevelView(model, levels, ratio)
    footprint = Footprint.of(config.replace(num_scales=levels or config.num_scales, ratio=ratio or config.ratio))
    method = NetworkMethod("model", (unit.task,), lambda s: network, device=device,
                           footprint=lambda s: footprint)
    sets = sets if sets is not None else read_test_sets(unit)
    rows = run_benchmark([method], sets, unit.model_config().task, [unit.setting], progress=False)
    return {r.dataset: {k: v for k, v in r.to_dict().items() if k in ("psnr", "ssim", "psnr_b")} for r in rows}


def read_test_sets(unit: Unit) -> list[TestSet]:
    return [load_test_set(shared_path(d), unit.model_config().task) for d in unit.test_sets]


def run_unit(folder: Path, device: str) -> int:
    """Train (or continue) the unit in `folder`, then run its missing evaluations; 0 when done, 128 + signal
    when stopped (its checkpoint saved)."""
    budget = suite_budget(folder)
    unit = Unit.from_dict(json.loads((folder / UNIT_FILE).read_text()))
    result_path = folder / RESULT_FILE
    result: dict[str, Any] = json.loads(result_path.read_text()) if result_path.exists() else {}
    torch.set_num_threads(budget.threads)
    if not (folder / FINAL_FILE).exists():
        config = config_from_dict(train_config(unit, budget))
        config.data.train = [shared_path(f) for f in config.data.train]
        config.data.val = [shared_path(f) for f in config.data.val]
        trainer = Trainer(config, folder, resume=RunSummary.started(folder), device=device, progress=False)
        trainer.run()
        if trainer.stop_signal is not None:
            return 128 + trainer.stop_signal
    summary = RunSummary.of(folder)
    assert summary is not None and summary.final is not None  # trained above
    model = load_model(summary.final, device=device)
    scores = dict(result.get("scores", {}))
    missing = [(name, view) for name, view in [("default", (None, None)), *unit.evals.items()] if name not in scores]
    sets = read_test_sets(unit) if missing else []
    for name, view in missing:
        scores[name] = evaluate(model, unit, view, device, sets)
    result = {"key": unit.key, "steps": summary.steps, "seconds": round(summary.seconds, 1),
              "params": count_params(model), "macs_per_pixel": round(macs_per_pixel(model.config)),
              "device": device, "budget": budget.name, "scores": scores}
    atomic_write(result_path, lambda tmp: Path(tmp).write_text(json.dumps(result, indent=1)))
    return 0
