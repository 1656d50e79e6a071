"""Running a suite: every unit in its own process (`jobs` side by side, `threads` each), resumable: a finished
unit (result.json with every evaluation) is not redone, a stopped one continues from its checkpoint, and a stop
(Ctrl-C, SIGTERM) reaches every running unit, which checkpoints before it leaves."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from ..progress import Progress
from ..data.io import shared_path
from .calibrate import equal_time_steps
from .catalog import TRAIN_SETS, Budget
from .layout import RUNS, SuiteError, check_suite, unit_done, write_unit
from .plan import Unit


def check_data(units: list[Unit]) -> None:
    """Every training and test folder the units read, present, before any work."""
    folders = set()
    for unit in units:
        folders.update(unit.test_sets)
        folders.update(TRAIN_SETS[unit.task])
    missing = sorted(f for f in folders if not Path(shared_path(f)).is_dir())
    if missing:
        raise SuiteError(f"data folder {shared_path(missing[0])} is missing ({len(missing)} in all); the suite reads "
                         "../shared/datasets (or $SCN_SHARED): run it from the repository with ../shared beside it")


def recorded(units: list[Unit], budget: Budget, records: Path | None) -> list[Unit]:
    """The units a committed record (records/<budget>/<key>.json, `scn experiments report`) holds already, with
    every evaluation the unit asks for: reused, not trained again."""
    if records is None:
        return []
    found = []
    for unit in units:
        path = records / budget.name / f"{unit.key}.json"
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        same = Unit.from_dict(data["unit"])
        scores = data["result"].get("scores", {})
        if (same.model_config(), same.start, same.steps) == (unit.model_config(), unit.start, unit.steps) and all(
                name in scores for name in ["default", *unit.evals]):
            found.append(unit)
    return found


def run_suite(units: list[Unit], budget: Budget, out: Path, device: str, jobs: int, progress: bool = True,
              records: Path | None = None) -> int:
    """Run every unfinished unit, `jobs` at a time, each `python -m scn experiments run-unit` in its folder
    (output in its output.log); units `records` holds (committed results of this budget) are reused. Returns 0
    when all finished, else the first failure's exit status."""
    check_suite(out, budget)
    reused = {u.key for u in recorded(units, budget, records)}
    if reused:
        print(f"scn experiments: {len(reused)} of {len(units)} runs reused from {records / budget.name}",
              file=sys.stderr)
    units = [u for u in units if u.key not in reused]
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
