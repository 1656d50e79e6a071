"""A suite's folder: suite.json (its budget), calibration.json (equal wall-clock step times), runs/KEY/ with
unit.json (what to train and evaluate), the training run's files, and result.json (what it scored)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from ..atomic import atomic_write
from ..errors import ConfigError, ScnError
from .catalog import Budget
from .plan import Unit

SUITE_FILE = "suite.json"
CALIBRATION_FILE = "calibration.json"
UNIT_FILE = "unit.json"
RESULT_FILE = "result.json"
RUNS = "runs"


class SuiteError(ScnError):
    """A suite cannot run as asked."""


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


def write_unit(unit: Unit, folder: Path) -> None:
    """unit.json in `folder`; an existing one must describe the same run (its evaluations are merged)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / UNIT_FILE
    if path.exists():
        old = Unit.from_dict(json.loads(path.read_text()))
        if (old.model_config(), old.task, old.setting, old.seed, old.start) != (
                unit.model_config(), unit.task, unit.setting, unit.seed, unit.start):
            raise ConfigError(f"{folder} holds another run than {unit.key}; use another --out folder")
        old.evals.update(unit.evals)
        unit.evals = old.evals
        if unit.steps is None:
            unit.steps = old.steps
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(unit.to_dict(), indent=1))
    tmp.replace(path)


def unit_done(folder: Path) -> bool:
    """Whether a unit has a result with every evaluation its unit.json asks for."""
    try:
        unit = Unit.from_dict(json.loads((folder / UNIT_FILE).read_text()))
        scores = json.loads((folder / RESULT_FILE).read_text())["scores"]
    except (OSError, ValueError, KeyError):
        return False
    return all(name in scores for name in ["default", *unit.evals])
