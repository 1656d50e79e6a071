"""Records: what the report reads of a run (its unit, its result, its log), gathered from a suite's run folders
or from the committed copies in docs/experiments/records (so the report can be rebuilt without the weights)."""

from __future__ import annotations

import csv
import json
import math
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import atomic_write
from ..training.loop import LOG_FIELDS, LOG_FILE
from .layout import RESULT_FILE, RUNS, SUITE_FILE, UNIT_FILE

LOG_COLUMNS = ("step", "loss", "val_psnr", "seconds")  # of the training log's LOG_FIELDS, kept in records
assert set(LOG_COLUMNS) <= set(LOG_FIELDS)


@dataclass
class Record:
    budget: str
    unit: dict[str, Any]
    result: dict[str, Any]
    log: list[list[float | None]]  # LOG_COLUMNS per logged step

    @property
    def key(self) -> str:
        return str(self.unit["key"])

    def to_dict(self) -> dict[str, Any]:
        return {"budget": self.budget, "unit": self.unit, "result": self.result, "log_columns": list(LOG_COLUMNS),
                "log": self.log}

    def score(self, evaluation: str, dataset: str, metric: str = "psnr") -> float | None:
        value = self.result.get("scores", {}).get(evaluation, {}).get(dataset, {}).get(metric)
        return None if value is None else float(value)

    def curve(self) -> tuple[list[int], list[float], list[float]]:
        """(steps, validation PSNRs, seconds) where the run validated; a validation row without its time (logs of
        older runs, on a step that was not a logging step) gets it interpolated from the logged steps."""
        timed = [(float(r[0] or 0), float(r[3])) for r in self.log if r[3] is not None]
        steps, times = [t[0] for t in timed] or [0.0], [t[1] for t in timed] or [0.0]
        rows = [r for r in self.log if r[2] is not None]
        seconds = [float(r[3]) if r[3] is not None else float(np.interp(float(r[0] or 0), steps, times))
                   for r in rows]
        return [int(r[0] or 0) for r in rows], [float(r[2] or 0.0) for r in rows], seconds


def _number(text: str) -> float | None:
    return float(text) if text not in ("", None) else None


def read_log(path: Path) -> list[list[float | None]]:
    if not path.exists():
        return []
    rows = []
    for row in csv.DictReader(path.open()):
        rows.append([_number(row.get(c, "")) for c in LOG_COLUMNS])
    return rows


def collect_suite(suite: Path) -> list[Record]:
    """Records of every finished run of one suite folder (`scn experiments run --out`)."""
    budget = json.loads((suite / SUITE_FILE).read_text())["budget"]
    records = []
    for folder in sorted((suite / RUNS).glob("*")):
        if not (folder / RESULT_FILE).exists():
            continue
        records.append(Record(budget, json.loads((folder / UNIT_FILE).read_text()),
                              json.loads((folder / RESULT_FILE).read_text()), read_log(folder / LOG_FILE)))
    return records


def collect(root: Path) -> list[Record]:
    """Records under `root`: suite folders at any depth (runs/experiments/cpu, ...) and record files
    (docs/experiments/records/<budget>/*.json). A run found both ways counts once: the suite's copy."""
    found: dict[tuple[str, str], Record] = {}
    suites = [p.parent for p in sorted(root.rglob(SUITE_FILE))]
    for suite in suites:
        for record in collect_suite(suite):
            found[(record.budget, record.key)] = record
    for path in sorted(root.rglob("*.json")):
        if any(suite in path.parents for suite in suites):
            continue
        data = _record_data(path)
        if data is not None:
            record = Record(data["budget"], data["unit"], data["result"], data["log"])
            found.setdefault((record.budget, record.key), record)
    return list(found.values())


def _record_data(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and {"budget", "unit", "result", "log"} <= set(data) else None


def write_records(records: list[Record], folder: Path) -> None:
    """One JSON file per run under folder/<budget>/ (small: no weights)."""
    for record in records:
        path = folder / record.budget / f"{record.key}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(record.to_dict(), separators=(",", ":"))
        atomic_write(path, lambda tmp: Path(tmp).write_text(text + "\n"))


# -- statistics --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Summary:
    mean: float
    std: float  # sample standard deviation over seeds (nan for one seed)
    n: int

    def text(self, digits: int = 2) -> str:
        if self.n == 0:
            return "-"
        if self.n == 1 or math.isnan(self.std):
            return f"{self.mean:.{digits}f}"
        return f"{self.mean:.{digits}f} ± {self.std:.{digits}f}"


def summarize(values: list[float]) -> Summary:
    if not values:
        return Summary(math.nan, math.nan, 0)
    return Summary(statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else math.nan,
                   len(values))


EQUAL_MARGIN = 0.05  # dB: an equality claim holds when the paired interval lies inside +-this
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Paired:
    """Differences better - worse of runs paired by seed (a seed fixes the data order and the initial weights of
    the layers both networks share), their mean and a two-sided Student t interval (n - 1 degrees of freedom)."""

    seeds: tuple[int, ...]
    diffs: tuple[float, ...]
    confidence: float = CONFIDENCE

    @property
    def n(self) -> int:
        return len(self.diffs)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.diffs) if self.diffs else math.nan

    @property
    def half_width(self) -> float:
        """t_{(1+c)/2, n-1} * s / sqrt(n); nan below two pairs."""
        if self.n < 2:
            return math.nan
        from scipy import stats  # most of a second to import: only when a table is made

        quantile = float(stats.t.ppf((1 + self.confidence) / 2, self.n - 1))
        return quantile * statistics.stdev(self.diffs) / math.sqrt(self.n)

    @property
    def interval(self) -> tuple[float, float]:
        return self.mean - self.half_width, self.mean + self.half_width


def paired(better: dict[int, float], worse: dict[int, float]) -> Paired:
    """The differences over the seeds both sides have (seed -> PSNR each)."""
    seeds = tuple(sorted(set(better) & set(worse)))
    return Paired(seeds, tuple(better[s] - worse[s] for s in seeds))


@dataclass(frozen=True)
class Verdict:
    word: str  # confirmed | not confirmed | not resolved | not shown (an equality neither shown nor refuted)
    pair: Paired
    unpaired: str  # the word of the earlier, unpaired rule (2 std of the difference of one run of each)
    same: bool = False
    margin: float = EQUAL_MARGIN

    @property
    def difference(self) -> float:
        return self.pair.mean

    def text(self) -> str:
        p = self.pair
        if p.n < 2:
            return f"{self.word} ({p.mean:+.3f} dB, {p.n} seed: no interval)"
        low, high = p.interval
        claim = f"; margin ±{self.margin:.2f}" if self.same else ""
        return f"{self.word} ({p.mean:+.3f} dB, 95% CI [{low:+.3f}, {high:+.3f}], {p.n} seeds{claim})"


def paired_word(pair: Paired, same: bool = False, margin: float = EQUAL_MARGIN) -> str:
    """`better` > `worse`: confirmed when the whole interval is above 0, not confirmed when below, not resolved
    when it spans 0. An equality (`same`): confirmed when the interval lies inside +-margin, not confirmed when it
    lies wholly outside it, else not shown (equal only to the interval's width, which is no confirmation)."""
    if pair.n < 2:
        return "not resolved"
    low, high = pair.interval
    if same:
        if -margin <= low and high <= margin:
            return "confirmed"
        return "not confirmed" if low > margin or high < -margin else "not shown"
    return "confirmed" if low > 0 else "not confirmed" if high < 0 else "not resolved"


def unpaired_word(better: list[float], worse: list[float], same: bool = False) -> str:
    """The earlier rule, kept beside the paired one: confirmed when the difference of the means exceeds
    2 sqrt(s_a^2 + s_b^2) (2 std of the difference of one run of each); an equality is confirmed within it."""
    a, b = summarize(better), summarize(worse)
    if a.n < 2 or b.n < 2:
        return "not resolved"
    diff, noise = a.mean - b.mean, 2.0 * math.sqrt(a.std ** 2 + b.std ** 2)
    if same:
        return "confirmed" if abs(diff) <= noise else "not confirmed"
    return "confirmed" if diff > noise else "not confirmed" if diff < -noise else "not resolved"


def verdict(better: dict[int, float], worse: dict[int, float], same: bool = False,
            margin: float = EQUAL_MARGIN) -> Verdict:
    """The claim `better` > `worse` (or, with `same`, that they are equal within `margin`) judged on runs paired
    by seed (seed -> PSNR); the unpaired rule's word is kept for comparison."""
    pair = paired(better, worse)
    return Verdict(paired_word(pair, same, margin), pair,
                   unpaired_word(list(better.values()), list(worse.values()), same), same, margin)
