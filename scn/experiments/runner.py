"""Running a suite: every unit in its own process (`jobs` side by side, `threads` each), resumable: a finished
unit (result.json with every evaluation) is not redone, a stopped one continues from its checkpoint, and a stop
(Ctrl-C, SIGTERM) reaches every running unit, which checkpoints before it leaves."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..archs import build
from ..atomic import atomic_write
from ..checkpoint import load_model
from ..complexity import count_params, macs_per_pixel
from ..errors import ScnError
from ..evaluation.methods import NetworkMethod
from ..evaluation.runner import TestSet, load_test_set, run_benchmark
from ..inference.tiling import Footprint
from ..progress import Progress
from ..tasks import get_task
from ..training import Trainer
from ..training.config import config_from_dict, data_folder
from ..training.checkpointing import load_state
from ..training.loop import STATE_FILE, adam
from .catalog import TRAIN_SETS, Budget
from .plan import RESULT_FILE, UNIT_FILE, Unit, train_config, write_unit

SUITE_FILE = "suite.json"
CALIBRATION_FILE = "calibration.json"
RUNS = "runs"


class SuiteError(ScnError):
    """A suite cannot run as asked."""


# -- equal wall-clock --------------------------------------------------------------------------------------------
def step_seconds(unit: Unit, budget: Budget, device: str, steps: int = 8, warmup: int = 3) -> float:
    """Seconds per training step of `unit`'s network at the budget's batch and patch (forward, L1, backward,
    fused Adam), on random data, with the budget's threads."""
    config = unit.model_config()
    task = get_task(unit.task)
    threads = torch.get_num_threads()
    torch.set_num_threads(budget.threads)
    try:
        torch.manual_seed(0)
        model = build(config).to(device).to(memory_format=torch.channels_last)
        opt = adam(model.parameters(), lr=1e-4)
        scale = task.model_scale(unit.setting)
        x = torch.rand(budget.batch, config.channels, budget.patch, budget.patch, device=device)
        y = torch.rand(budget.batch, config.channels, budget.patch * scale, budget.patch * scale, device=device)
        x = x.contiguous(memory_format=torch.channels_last)
        for i in range(warmup + steps):
            if i == warmup:
                if device.startswith("cuda"):
                    torch.cuda.synchronize()
                start = time.perf_counter()
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=device.startswith("cuda")):
                loss = F.l1_loss(model(x).float(), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        return (time.perf_counter() - start) / steps
    finally:
        torch.set_num_threads(threads)


def equal_time_steps(units: list[Unit], budget: Budget, out: Path, device: str) -> None:
    """Give every unit with `time_of` the steps that take as long as its matched run's, from step times
    measured once per pair of networks (kept in calibration.json, so a resumed suite uses the same ones)."""
    path = out / CALIBRATION_FILE
    known: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    by_key = {u.key: u for u in units}
    for unit in units:
        if unit.time_of is None or unit.steps is not None:
            continue
        matched = by_key[unit.time_of]
        pair = f"{matched.model_name}:{json.dumps(matched.overrides, sort_keys=True)} vs " \
               f"{unit.model_name}:{json.dumps(unit.overrides, sort_keys=True)}"
        if pair not in known:
            known[pair] = {"matched_s": step_seconds(matched, budget, device),
                           "this_s": step_seconds(unit, budget, device)}
            atomic_write(path, lambda tmp: Path(tmp).write_text(json.dumps(known, indent=1)))
        times = known[pair]
        unit.steps = max(1, round(int(matched.steps or budget.steps) * times["matched_s"] / times["this_s"]))


# -- one unit ----------------------------------------------------------------------------------------------------
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
    rows = run_benchmark([method], sets, unit.task, [unit.setting], progress=False)
    return {r.dataset: {k: v for k, v in r.to_dict().items() if k in ("psnr", "ssim", "psnr_b")} for r in rows}


def read_test_sets(unit: Unit) -> list[TestSet]:
    return [load_test_set(data_folder(d), unit.task) for d in unit.test_sets]


def run_unit(folder: Path, device: str) -> int:
    """Train (or continue) the unit in `folder`, then run its missing evaluations; 0 when done, 128 + signal
    when stopped (its checkpoint saved)."""
    budget = suite_budget(folder)
    unit = Unit.from_dict(json.loads((folder / UNIT_FILE).read_text()))
    result_path = folder / RESULT_FILE
    result: dict[str, Any] = json.loads(result_path.read_text()) if result_path.exists() else {}
    torch.set_num_threads(budget.threads)
    if not (folder / "final.safetensors").exists():
        config = config_from_dict(train_config(unit, budget))
        config.data.train = [data_folder(f) for f in config.data.train]
        config.data.val = [data_folder(f) for f in config.data.val]
        trainer = Trainer(config, folder, resume=(folder / STATE_FILE).exists(), device=device, progress=False)
        trainer.run()
        if trainer.stop_signal is not None:
            return 128 + trainer.stop_signal
    state = load_state(folder / STATE_FILE)
    model = load_model(folder / "final.safetensors", device=device)
    scores = dict(result.get("scores", {}))
    missing = [(name, view) for name, view in [("default", (None, None)), *unit.evals.items()] if name not in scores]
    sets = read_test_sets(unit) if missing else []
    for name, view in missing:
        scores[name] = evaluate(model, unit, view, device, sets)
    result = {"key": unit.key, "steps": int(state["step"]), "seconds": round(float(state["seconds"]), 1),
              "params": count_params(model), "macs_per_pixel": round(macs_per_pixel(model.config)),
              "device": device, "budget": budget.name, "scores": scores}
    atomic_write(result_path, lambda tmp: Path(tmp).write_text(json.dumps(result, indent=1)))
    return 0


def unit_done(folder: Path) -> bool:
    """Whether a unit has a result with every evaluation its unit.json asks for."""
    try:
        unit = Unit.from_dict(json.loads((folder / UNIT_FILE).read_text()))
        scores = json.loads((folder / RESULT_FILE).read_text())["scores"]
    except (OSError, ValueError, KeyError):
        return False
    return all(name in scores for name in ["default", *unit.evals])


# -- the suite ---------------------------------------------------------------------------------------------------
def check_suite(out: Path, budget: Budget) -> None:
    """One budget per output folder (results of two budgets, or of one budget redefined, are not to be averaged
    together); suite.json records it for the runs' processes."""
    path = out / SUITE_FILE
    settings = dataclasses.asdict(budget)
    if path.exists():
        old = json.loads(path.read_text())
        if old.get("budget") != budget.name or old.get("settings", settings) != settings:
            raise SuiteError(f"{out} holds a suite of budget {old.get('budget')!r} "
                             f"{'' if old.get('budget') != budget.name else '(defined differently then) '}"
                             f"not {budget.name!r} as defined now; use another --out folder")
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"budget": budget.name, "settings": settings}, indent=1)
    atomic_write(path, lambda tmp: Path(tmp).write_text(text))


def suite_budget(run_folder: Path) -> Budget:
    """The budget of the suite a run folder belongs to (OUT/runs/KEY -> OUT/suite.json)."""
    path = run_folder.parent.parent / SUITE_FILE
    try:
        return Budget(**json.loads(path.read_text())["settings"])
    except (OSError, ValueError, KeyError, TypeError):
        raise SuiteError(f"{run_folder} is not a run of a suite (no readable {path})") from None


def check_data(units: list[Unit]) -> None:
    """Every training and test folder the units read, present, before any work."""
    folders = set()
    for unit in units:
        folders.update(unit.test_sets)
        folders.update(TRAIN_SETS[unit.task])
    missing = sorted(f for f in folders if not Path(data_folder(f)).is_dir())
    if missing:
        raise SuiteError(f"data folder {data_folder(missing[0])} is missing ({len(missing)} in all); the suite reads "
                         "../shared/datasets (or $SCN_SHARED): run it from the repository with ../shared beside it")


def run_suite(units: list[Unit], budget: Budget, out: Path, device: str, jobs: int, progress: bool = True) -> int:
    """Run every unfinished unit, `jobs` at a time, each `python -m scn experiments run-unit` in its folder
    (output in its output.log). Returns 0 when all finished, else the first failure's exit status."""
    check_suite(out, budget)
    check_data(units)
    equal_time_steps(units, budget, out, device)
    folders = []
    for unit in units:
        folder = out / RUNS / unit.key
        write_unit(unit, folder)
        folders.append(folder)
    todo = [f for f in folders if not unit_done(f)]
    bar = Progress(len(folders), "experiments", "runs", enabled=progress, initial=len(folders) - len(todo))
    running: dict[subprocess.Popen, Path] = {}
    failures: list[tuple[Path, int]] = []
    stop: list[int] = []

    def forward(signum: int, frame: Any) -> None:
        stop.append(signum)
        for proc in running:
            proc.send_signal(signal.SIGTERM)  # each unit checkpoints and leaves

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    env = {**os.environ, "OMP_NUM_THREADS": str(budget.threads), "MKL_NUM_THREADS": str(budget.threads)}
    try:
        while (todo and not stop) or running:
            while todo and not stop and len(running) < jobs:
                folder = todo.pop(0)
                log = (folder / "output.log").open("a")
                cmd = [sys.executable, "-m", "scn", "experiments", "run-unit", str(folder), "--device", device]
                running[subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                                         start_new_session=True)] = folder
                log.close()
            time.sleep(0.2)
            for proc in [p for p in running if p.poll() is not None]:
                folder = running.pop(proc)
                if proc.returncode == 0:
                    bar.set_postfix(folder.name)
                    bar.update(1)
                elif not stop:
                    failures.append((folder, proc.returncode))
                    bar.write(f"run {folder.name} failed (exit {proc.returncode}); see {folder / 'output.log'}")
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        bar.close()
    if stop:
        return 128 + stop[0]
    return failures[0][1] if failures else 0
