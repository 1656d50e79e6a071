"""`scn experiments reproduce RECORD`: train one recorded run again from its record alone (its unit and budget),
in a suite folder of its own, and compare what it scores and logs with what the record says."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import ConfigError
from .catalog import get_budget
from .plan import Unit
from .records import Record, collect_suite
from .runner import run_suite


def read_record(path: Path) -> Record:
    try:
        data = json.loads(path.read_text())
        return Record(data["budget"], data["unit"], data["result"], data["log"])
    except (OSError, ValueError, KeyError, TypeError):
        raise ConfigError(f"{path} is not a run record (docs/experiments/records/BUDGET/KEY.json)") from None


def differences(old: Record, new: Record) -> list[str]:
    """Every score (evaluation, test set, metric) and log row (step, loss, validation PSNR) that differs."""
    out = []
    for evaluation, sets in old.result.get("scores", {}).items():
        for dataset, metrics in sets.items():
            for metric, value in metrics.items():
                got = new.score(evaluation, dataset, metric)
                if got != value:
                    out.append(f"{evaluation} {dataset} {metric}: recorded {value}, now {got}")
    if int(old.result["steps"]) != int(new.result["steps"]):
        out.append(f"steps: recorded {old.result['steps']}, now {new.result['steps']}")
    logged = {int(r[0] or 0): (r[1], r[2]) for r in new.log}
    for row in old.log:
        step, then = int(row[0] or 0), (row[1], row[2])
        if logged.get(step) != then:
            out.append(f"log at step {step}: recorded loss / val PSNR {then}, now {logged.get(step)}")
    return out


def reproduce(path: Path, out: Path, device: str) -> tuple[Record, Record, list[str]]:
    """Train the run of record `path` in out/BUDGET (a suite folder of the record's budget; a finished run there
    is not trained again); returns the record, the new run's record and their differences."""
    old = read_record(path)
    budget = get_budget(old.budget)
    unit = Unit.from_dict(old.unit)
    out = out / budget.name
    code = run_suite([unit], budget, out, device, jobs=1, progress=False)  # as the suite ran it: own process
    if code:
        raise ConfigError(f"the run stopped (exit {code}); run the same command again to continue it")
    new = next(r for r in collect_suite(out) if r.key == unit.key)
    return old, new, differences(old, new)
