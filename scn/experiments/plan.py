"""From experiments, a budget and seeds to units of work: one training run (plus its evaluations) per network
configuration and seed, each in its own folder named by what it trains, so identical runs asked for by two
experiments (Table 5's shared SCN is Table 6's bilinear one) are trained once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..config import ModelConfig, architecture, family_name, get_config
from ..errors import ConfigError
from .catalog import DATASETS, STARTS, TEST_SETS, TRAIN_SETS, Budget, Experiment, Study, Variant

TEST_ROOT = f"{DATASETS}/test"


@dataclass
class Unit:
    """One training run and its evaluations. `steps` is None until equal wall-clock steps are known
    (`time_of`: the key of the run whose wall-clock it matches); `start`: where training starts (STARTS)."""

    key: str
    task: str  # the task's name (records are JSON)
    setting: int
    model_name: str
    overrides: dict[str, Any]
    seed: int
    steps: int | None
    test_sets: list[str]
    evals: dict[str, tuple[int | None, float | None]] = field(default_factory=dict)
    time_of: str | None = None
    start: str = "reference"

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "task": self.task, "setting": self.setting, "model_name": self.model_name,
                "overrides": self.overrides, "seed": self.seed, "steps": self.steps, "test_sets": self.test_sets,
                "evals": {k: list(v) for k, v in self.evals.items()}, "time_of": self.time_of,
                "start": self.start}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Unit":
        evals = {k: (v[0], v[1]) for k, v in d.get("evals", {}).items()}
        return cls(d["key"], d["task"], int(d["setting"]), d["model_name"], dict(d["overrides"]), int(d["seed"]),
                   d["steps"], list(d["test_sets"]), evals, d.get("time_of"), d.get("start", "reference"))

    def model_config(self) -> ModelConfig:
        return get_config(self.model_name, **self.overrides)


def variant_overrides(variant: Variant, budget: Budget) -> dict[str, Any]:
    blocks = max(1, round(budget.blocks * variant.depth))
    features = max(1, round(budget.features * variant.breadth))
    overrides: dict[str, Any] = {"num_features": features, "num_blocks": blocks, **variant.overrides}
    if architecture(variant.arch).single_scale:
        overrides.setdefault("num_scales", 1)
    return overrides


def run_key(config: ModelConfig, setting: int, steps: int | str, seed: int, start: str = "reference") -> str:
    """A folder name that says what a run trains: task, architecture, every setting the catalog varies and where
    training starts (nothing for the reference init, so older runs keep their names)."""
    c = config
    parts = [c.task.file_label(setting), c.arch + ("-unshared" if not c.shared else ""),
             f"f{c.num_features}", f"b{c.num_blocks}"]
    if c.num_scales > 1 or not c.architecture.single_scale:
        parts += [f"l{c.num_scales}", f"r{c.ratio:.3f}"]
    if c.resampler != "bilinear":
        parts.append(c.resampler)
    if c.ends != "reference":
        parts.append(f"ends-{c.ends}")
    if c.res_scale != 1.0:
        parts.append(f"res{c.res_scale:g}")
    if start != "reference":
        parts.append(f"start-{start}")
    parts += [f"n{steps}", f"seed{seed}"]
    return "_".join(parts)


def study_units(study: Study, budget: Budget, seeds: int, only: tuple[str, ...] = ()) -> dict[tuple[str, int], Unit]:
    """(variant name, seed) -> Unit for one study (of the variants named in `only`, when given, and those
    they match the wall-clock of)."""
    out: dict[tuple[str, int], Unit] = {}
    tests = [f"{TEST_ROOT}/{name}" for name in TEST_SETS[study.task.name]]
    for seed in range(seeds):
        for v in study.variants:
            if only and v.name not in only and not any(u.time_of == v.name for u in study.variants
                                                           if u.name in only):
                continue
            overrides = variant_overrides(v, budget)
            name = family_name(v.arch, study.task, study.setting)
            try:
                config = get_config(name, **overrides)
            except ConfigError as e:
                raise ConfigError(f"variant {v.name!r} does not fit budget {budget.name!r}: {e}") from None
            steps: int | None = budget.steps
            time_of = None
            if v.time_of is not None:
                steps, time_of = None, out[(v.time_of, seed)].key  # the matched variant is listed first
            key = run_key(config, study.setting, "time" if steps is None else steps, seed, v.start)
            if time_of is not None:
                key = key.replace("_ntime_", f"_time-of-{study.variant(v.time_of).arch}_")
            out[(v.name, seed)] = Unit(key, study.task.name, study.setting, name, overrides, seed, steps, tests,
                                       dict(v.evals), time_of, v.start)
    return out


def plan(experiments: list[Experiment], budget: Budget, seeds: int, tasks: tuple[str, ...] = (),
         variants: tuple[str, ...] = ()) -> list[Unit]:
    """Every unit the experiments need (of `tasks` and `variants` only, when given), merged by key: a run asked
    for twice is trained once, with the union of the evaluations."""
    units: dict[str, Unit] = {}
    for exp in experiments:
        for study in exp.studies(budget):
            if tasks and study.task.name not in tasks:
                continue
            for unit in study_units(study, budget, seeds, variants).values():
                if unit.key in units:
                    units[unit.key].evals.update(unit.evals)
                else:
                    units[unit.key] = unit
    ordered = sorted(units.values(), key=lambda u: u.time_of is not None)  # matched runs after the ones they match
    return ordered


def train_config(unit: Unit, budget: Budget) -> dict[str, Any]:
    """The `scn train` configuration of a unit (the run folder's config.yaml is this)."""
    task = unit.model_config().task
    steps = int(unit.steps or 0)
    return {
        "notes": f"scn experiments, budget {budget.name}: {unit.key}",
        "model": {"name": unit.model_name, "overrides": unit.overrides},
        "task": {"type": task.name, task.setting: unit.setting},
        "data": {"train": TRAIN_SETS[task.name], "val": unit.test_sets[:1], "patch_size": budget.patch,
                 "batch_size": budget.batch, "workers": 0, "val_max_images": budget.val_images},
        "train": {"epochs": 0, "steps": steps, "lr": 1e-3, "schedule": "paper", "seed": unit.seed,
                  "val_every": max(1, steps // budget.val_points), "checkpoint_every": max(1, min(250, steps // 5)),
                  "log_every": max(1, min(25, steps // 10)), "threads": budget.threads,
                  "amp": False, **STARTS[unit.start]},  # fp32 on every device: CPU and GPU runs compare
    }
