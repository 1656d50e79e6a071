"""`scn experiments`: runs planned and shared, equal wall-clock steps, the suite on a toy budget (resumed after a
kill, finished runs not redone), verdicts, and the report's tables from given records."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from conftest import SHARED, needs_shared
from scn.cli.main import main
from scn.errors import ConfigError, ScnError
from scipy import stats

from scn.experiments import (BUDGETS, EXPERIMENTS, Budget, Record, collect, plan, render, run_suite, verdict,
                             write_records)
from scn.experiments.records import paired, paired_word
from scn.experiments import calibrate
from scn.experiments.calibrate import equal_time_steps
from scn.archs.scn import build_pyramid
from scn.experiments import Unit
from scn.experiments.layout import RESULT_FILE, check_suite
from scn.experiments.plan import train_config
from scn.training.config import config_from_dict
from scn.training.starts import match_residual
from scn.models import create_model

ROOT = Path(__file__).resolve().parents[1]

# Two variants of one study: the machinery's test experiment (a script, so a subprocess can run it and be killed)
PAIR_SCRIPT = """
import dataclasses, sys
from pathlib import Path
from scn.experiments import Budget, Experiment, Study, Variant, plan, run_suite
from scn.tasks import SR

def pair_experiment():
    variants = (Variant("wdsr", "WDSR", "wdsr"), Variant("scn", "SCN, 2 levels", "scn", {"num_scales": 2}))
    return Experiment("pair", "two variants", "none", lambda b: (Study(SR, 2, variants, ()),))

if __name__ == "__main__":
    budget = Budget("toy", "cpu", features=4, blocks=4, steps=int(sys.argv[2]), batch=2, patch=16, jobs=2,
                    threads=1, max_levels=2, eval_levels=3, val_points=2, val_images=1)  # conftest's TOY_BUDGET
    sys.exit(run_suite(plan([pair_experiment()], budget, 2), budget, Path(sys.argv[1]), "cpu", 2, progress=False))
"""


@pytest.fixture
def pair_script(tmp_path: Path) -> Path:
    path = tmp_path / "pair_suite.py"
    path.write_text(PAIR_SCRIPT)
    return path


def run_pair(script: Path, out: Path, steps: int) -> subprocess.Popen:
    env = {**os.environ, "SCN_SHARED": str(SHARED), "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, str(script), str(out), str(steps)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


# -- planning ----------------------------------------------------------------------------------------------------
def test_runs_shared_between_experiments_are_planned_once() -> None:
    cpu = BUDGETS["cpu"]
    names = ("equal-budget", "table5", "table6")
    separate = sum(len(plan([EXPERIMENTS[n]], cpu, 2)) for n in names)
    together = plan([EXPERIMENTS[n] for n in names], cpu, 2)
    keys = [u.key for u in together]
    assert len(keys) == len(set(keys))
    # Table 5's shared SCN, Table 6's bilinear SCN and equal-budget's SR SCN are one network: trained once per seed
    assert "x2_scn_f16_b4_l4_r0.500_n1500_seed1" in keys
    assert len(together) == separate - 3 * 2  # twice that SCN, once Table 5's baseline = equal-budget's WDSR
    by_key = {u.key: u for u in together}
    assert by_key["x2_scn-unshared_f16_b1_l4_r0.500_n1500_seed0"].model_config().num_blocks == 1


def test_equal_wall_clock_steps_follow_measured_step_times(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cpu = BUDGETS["cpu"]
    seconds = {"scn": 0.3, "wdsr": 0.1}
    calls = []

    def fake(unit, budget, device):  # type: ignore[no-untyped-def]
        calls.append(unit.key)
        return seconds[unit.model_config().arch]

    monkeypatch.setattr(calibrate, "step_seconds", fake)
    units = plan([EXPERIMENTS["equal-budget"]], cpu, 2)
    timed = [u for u in units if u.time_of]
    assert len(timed) == 6 and all(u.steps is None for u in timed)
    assert units.index(timed[0]) > max(units.index(u) for u in units if u.key == timed[0].time_of)
    equal_time_steps(units, cpu, tmp_path, "cpu")
    assert all(u.steps == 3 * cpu.steps for u in timed)
    measured = len(calls)
    assert measured == 6  # one pair per task, both networks timed
    again = plan([EXPERIMENTS["equal-budget"]], cpu, 2)
    equal_time_steps(again, cpu, tmp_path, "cpu")  # a resumed suite reuses calibration.json
    assert len(calls) == measured and [u.steps for u in again if u.time_of] == [u.steps for u in timed]


def test_a_suite_folder_keeps_one_budget(tmp_path: Path, toy: Budget) -> None:
    check_suite(tmp_path, toy)
    with pytest.raises(ScnError, match="budget 'toy'"):
        check_suite(tmp_path, BUDGETS["cpu"])
    with pytest.raises(ScnError, match="defined differently"):
        check_suite(tmp_path, dataclasses.replace(toy, steps=7))


def test_every_experiment_fits_the_cpu_and_gpu_budgets() -> None:
    for name in ("cpu", "gpu"):
        budget = BUDGETS[name]
        for unit in plan(list(EXPERIMENTS.values()), budget, 3):
            config = unit.model_config()  # a ConfigError for what the architecture cannot build
            task = config.task
            assert task == unit.task and config.scale == task.model_scale(unit.setting), unit.key
            assert config.num_features <= budget.features and config.num_blocks <= budget.blocks, unit.key
    fig7 = plan([EXPERIMENTS["fig7"]], BUDGETS["cpu"], 1)
    deep = next(u for u in fig7 if u.key.startswith("x2_scn_f16_b4_l4_r0.667"))
    assert deep.evals["levels8"] == (8, None) and "levels4" not in deep.evals


# -- the controls -------------------------------------------------------------------------------------------------
def test_one_level_scn_is_wdsr_with_its_residual_tripled() -> None:
    """The equal-budget control: with one level and 'reference' ends, an SCN block adds its body's output three
    times (missing neighbours above and below, and the centre), as WDSR with res_scale=3 does."""
    tiny = dict(num_blocks=2, num_features=8, width=2)
    scn = create_model("scn_x2", num_scales=1, **tiny).eval()
    wdsr = create_model("wdsr_x2", res_scale=3.0, **tiny).eval()
    state = {k.replace(".conv.spatial.", ".body."): v for k, v in scn.state_dict().items() if ".taps." not in k}
    wdsr.load_state_dict(state)
    x = torch.rand(1, 3, 20, 24)
    torch.testing.assert_close(scn(x), wdsr(x), rtol=1e-5, atol=1e-6)
    with pytest.raises(ConfigError, match="res_scale"):
        create_model("scn_x2", res_scale=2.0)


# -- verdicts and the report ---------------------------------------------------------------------------------------
def test_paired_interval_is_students_t_on_the_per_seed_differences() -> None:
    better, worse = {0: 30.5, 1: 30.7, 2: 30.4}, {0: 30.4, 1: 30.5, 2: 30.35}
    pair = paired(better, worse)
    assert pair.seeds == (0, 1, 2) and pair.diffs == pytest.approx((0.1, 0.2, 0.05))
    # by hand: mean 0.11667, s = 0.076376, t(0.975, 2) = 4.302653 -> half width 0.189729
    assert pair.mean == pytest.approx(0.116667, abs=1e-6)
    assert pair.half_width == pytest.approx(4.302653 * 0.0763763 / math.sqrt(3), abs=1e-6)
    reference = stats.ttest_rel(list(better.values()), list(worse.values())).confidence_interval()
    assert pair.interval == pytest.approx((reference.low, reference.high), abs=1e-12)
    assert paired({0: 1.0, 1: 2.0, 5: 3.0}, {1: 1.5, 5: 2.0, 7: 0.0}).seeds == (1, 5)  # only seeds both ran


def test_paired_verdicts_and_the_equality_margin() -> None:
    seeds = lambda values: dict(enumerate(values))  # noqa: E731
    # Table 6's bilinear - avg-pool on Set5 (+0.043 / +0.045 / +0.044): resolved once paired, not unpaired
    tight = verdict(seeds([34.843, 34.745, 34.644]), seeds([34.800, 34.700, 34.600]))
    assert tight.word == "confirmed" and tight.unpaired == "not resolved"
    assert verdict(seeds([30.0, 30.1, 30.2]), seeds([30.5, 30.6, 30.7])).word == "not confirmed"
    assert verdict(seeds([30.0, 30.3, 30.6]), seeds([30.1, 30.2, 30.5])).word == "not resolved"
    assert verdict({0: 30.0}, {0: 29.0}).word == "not resolved"  # one seed: no interval
    # equal within +-0.05 dB: an interval inside the margin confirms, one wholly outside refutes, else not shown
    assert verdict(seeds([30.01, 30.02, 30.015]), seeds([30.0, 30.0, 30.0]), same=True).word == "confirmed"
    assert verdict(seeds([30.3, 30.31, 30.29]), seeds([30.0, 30.0, 30.0]), same=True).word == "not confirmed"
    wide = verdict(seeds([30.046, 30.059, 29.876]), seeds([30.0, 30.0, 30.0]), same=True)  # SCN - WDSR-res2, Set5
    assert wide.word == "not shown" and wide.unpaired == "confirmed"
    assert paired_word(paired(seeds([1.0, 1.0]), seeds([0.96, 0.96])), same=True, margin=0.05) == "confirmed"


def fake_record(budget: str, unit: dict, psnr: dict[str, float], steps: int = 1500) -> Record:
    scores = {"default": {d: {"psnr": v, "ssim": 0.9} for d, v in psnr.items()}}
    result = {"key": unit["key"], "steps": steps, "seconds": 120.0, "params": 1000, "macs_per_pixel": 500,
              "scores": scores}
    log = [[300.0, 0.05, 30.0, 20.0], [325.0, 0.04, None, 22.0], [600.0, 0.03, 31.0, 40.0]]
    return Record(budget, unit, result, log)


def test_report_tables_from_given_records(tmp_path: Path) -> None:
    """Records of Table 5 (3 seeds, made up) -> the table's mean ± std, the paper's number, the verdicts, a plot;
    and the same page again from the records written beside it."""
    cpu = BUDGETS["cpu"]
    units = plan([EXPERIMENTS["table5"]], cpu, 3)
    offsets = {"wdsr": 0.0, "scn-unshared_f16_b1": -0.2, "scn_f16": 0.3, "scn-unshared_f16_b2": 0.15,
               "scn-unshared_f8_b4": 0.1}
    records = []
    for unit in units:
        offset = next(v for k, v in offsets.items() if f"x2_{k}" in unit.key)
        seed = unit.seed
        records.append(fake_record("cpu", unit.to_dict(), {"Set5": 30.0 + offset + 0.01 * seed,
                                                           "Set14": 28.0 + offset - 0.01 * seed}))
    doc = tmp_path / "docs" / "experiments.md"
    render(records, doc, tmp_path / "docs" / "experiments")
    text = doc.read_text()
    row = next(line for line in text.splitlines() if line.startswith("| Shared (SCN)"))
    assert "| 30.31 ± 0.01 | 28.29 ± 0.01 | 34.77 |" in row and "| 1,000 | 500 | 1500 | 2.0 |" in row
    assert "- Shared beats the single-scale baseline (Set5): **confirmed (+0.300 dB" in text
    assert "- Shared beats un-shared at equal parameters (Set14): **confirmed (+0.500 dB" in text
    assert "- Un-shared needs more parameters to match shared (Set5): **not confirmed (-0.150 dB" in text
    assert "Not run yet: `scn experiments run table4" in text
    assert (tmp_path / "docs" / "experiments" / "table5_sr2_cpu.png").stat().st_size > 1000
    write_records(records, tmp_path / "records")
    again = collect(tmp_path / "records")
    assert len(again) == len(records)
    render(again, tmp_path / "again" / "experiments.md", tmp_path / "again" / "experiments")
    assert (tmp_path / "again" / "experiments.md").read_text() == text
    (tmp_path / "again" / "experiments" / "findings.md").write_text("## What the runs show\n\nA reading.\n")
    render(again, tmp_path / "again" / "experiments.md", tmp_path / "again" / "experiments")
    with_reading = (tmp_path / "again" / "experiments.md").read_text()
    assert with_reading.index("A reading.") < with_reading.index("## Every claim") and "A reading." not in text


def test_rerun_commands_name_the_variants_with_more_seeds(tmp_path: Path) -> None:
    """Table 5 with 2 seeds for every variant and 4 for two of them: the page's commands retrain exactly that."""
    units = [u for u in plan([EXPERIMENTS["table5"]], BUDGETS["cpu"], 4)
             if u.seed < 2 or any(f"x2_{k}_" in u.key for k in ("wdsr", "scn_f16"))]
    records = [fake_record("cpu", u.to_dict(), {"Set5": 30.0 + 0.01 * u.seed, "Set14": 28.0}) for u in units]
    doc = tmp_path / "experiments.md"
    render(records, doc, tmp_path / "plots")
    lines = doc.read_text().splitlines()
    assert "scn experiments run table5 --budget cpu --seeds 2" in lines
    line = next(x for x in lines if x.startswith("scn experiments run table5 --budget cpu --seeds 4"))
    assert set(line.split("--variants ")[1].split()) == {"baseline", "shared"}, line


def test_cli_errors_are_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["experiments", "run", "table9"]) == 2
    assert "unknown experiment 'table9'" in capsys.readouterr().err
    assert main(["experiments", "run", "table5", "--seeds", "0"]) == 2
    assert main(["experiments", "report", str(tmp_path)]) == 2
    assert "no finished runs" in capsys.readouterr().err
    assert main(["experiments", "list"]) == 0
    assert "equal-budget" in capsys.readouterr().out


# -- the suite, for real, on a toy budget ----------------------------------------------------------------------------
@needs_shared
def test_toy_suite_runs_resumes_after_a_kill_and_reports(tmp_path: Path, pair_script: Path, toy: Budget) -> None:
    out = tmp_path / "suite"
    steps = 200
    proc = run_pair(pair_script, out, steps)
    deadline = time.monotonic() + 120
    while not list(out.glob("runs/*/checkpoint.pt")) and time.monotonic() < deadline:
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, output
    folders = sorted((out / "runs").iterdir())
    assert len(folders) == 4
    stopped = [f for f in folders if (f / "checkpoint.pt").exists() and not (f / RESULT_FILE).exists()]
    assert stopped, "the stop reached no run mid-training"

    proc = run_pair(pair_script, out, steps)  # the same command again: continues
    output, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, output
    results = {f.name: json.loads((f / RESULT_FILE).read_text()) for f in folders}
    assert all(r["steps"] == steps for r in results.values())
    assert all(r["scores"]["default"]["Set5"]["psnr"] > 10 for r in results.values())
    for folder in stopped:  # the resumed log has each step once, in order, up to the end
        logged = [int(line.split(",")[0]) for line in (folder / "log.csv").read_text().splitlines()[1:]]
        assert logged == sorted(set(logged)) and logged[-1] == steps
    params = {arch: {r["params"] for k, r in results.items() if f"_{arch}_" in k} for arch in ("wdsr", "scn")}
    assert len(params["wdsr"]) == len(params["scn"]) == 1 and min(params["scn"]) > min(params["wdsr"])

    stamps = {f: (f / RESULT_FILE).stat().st_mtime_ns for f in folders}
    proc = run_pair(pair_script, out, steps)  # nothing left to do: finished runs are not redone
    proc.communicate(timeout=120)
    assert proc.returncode == 0 and stamps == {f: (f / RESULT_FILE).stat().st_mtime_ns for f in folders}

    records = collect(out)
    assert len(records) == 4 and {r.budget for r in records} == {"toy"}
    seeds = sorted(r.unit["seed"] for r in records if "_scn_" in r.key)
    assert seeds == [0, 1]


def test_curves_of_older_logs_get_their_validation_times_interpolated() -> None:
    record = Record("cpu", {"key": "k"}, {}, [[25.0, 0.1, None, 10.0], [30.0, None, 31.0, None],
                                             [50.0, 0.1, None, 20.0], [50.0, None, 32.0, 20.0]])
    assert record.curve() == ([30, 50], [31.0, 32.0], [12.0, 20.0])


# -- the factorial: starts, reuse of committed records -------------------------------------------------------------
def test_factorial_plans_every_start_and_reuses_equal_budget_runs() -> None:
    cpu = BUDGETS["cpu"]
    units = {u.key: u for u in plan([EXPERIMENTS["factorial"]], cpu, 3)}
    assert len(units) == 9 * 3 * 3  # 8 cells + the matched SCN, 3 tasks, 3 seeds
    older = {u.key for u in plan([EXPERIMENTS["equal-budget"]], cpu, 3)}
    assert len(older & set(units)) == 4 * 3 * 3  # the reference-start cells are equal-budget's runs, same names
    matched = units["s25_scn_f16_b4_l4_r0.500_start-matched_n1500_seed2"]
    identity = units["q10_wdsr_f16_b4_res2_start-identity_n1500_seed0"]
    assert train_config(matched, cpu)["train"]["match_residual"] is True
    assert train_config(identity, cpu)["train"]["zero_blocks"] is True
    assert identity.model_config().res_scale == 2.0 and Unit.from_dict(identity.to_dict()) == identity
    old = identity.to_dict()
    del old["start"]  # records written before starts existed
    assert Unit.from_dict(old).start == "reference"
    long = plan([EXPERIMENTS["long"]], BUDGETS["cpu-long"], 3)
    assert len(long) == 4 * 2 * 3 and all(u.steps == 6000 for u in long)
    only = plan([EXPERIMENTS["pair"]], BUDGETS["cpu-16x"], 2, variants=("scn_id", "wdsr_id"))
    assert sorted(u.key for u in only) == ["x2_scn_f16_b4_l4_r0.500_start-identity_n24000_seed0",
                                           "x2_scn_f16_b4_l4_r0.500_start-identity_n24000_seed1",
                                           "x2_wdsr_f16_b4_start-identity_n24000_seed0",
                                           "x2_wdsr_f16_b4_start-identity_n24000_seed1"]


def test_matched_residual_start_gives_each_block_wdsrs_residual_size() -> None:
    torch.manual_seed(0)
    model = create_model("scn_x2", num_features=8, num_blocks=3, width=2)
    x = torch.rand(2, 3, 24, 24)
    c = model.config
    rms = lambda t: t.pow(2).mean().sqrt().item()  # noqa: E731
    with torch.no_grad():
        levels = build_pyramid(model.head(x - c.image_mean), c.ratio, c.num_scales, c.align_corners)
        single = rms(model.body[0].conv.spatial(levels[0]))  # the first block's p(x_0): what WDSR's adds
        before = rms(model.body[0](levels)[0] - levels[0])
    assert before > 1.5 * single  # x + 2 p(x_0) + Up(q p(x_1)): about twice WDSR's residual
    factors = match_residual(model, x)
    assert len(factors) == 3 and all(0 < f < 1 for f in factors)
    with torch.no_grad():
        assert rms(model.body[0](levels)[0] - levels[0]) == pytest.approx(single, rel=1e-5)
    with pytest.raises(ValueError, match="SCN"):
        match_residual(create_model("wdsr_x2", num_features=8, num_blocks=2), x)


def test_match_residual_config_errors() -> None:
    base = {"model": {"name": "wdsr_x2"}, "task": {"type": "sr", "scale": 2},
            "data": {"train": ["a"], "val": []}, "train": {"steps": 10, "match_residual": True}}
    with pytest.raises(ConfigError, match="match_residual"):
        config_from_dict(base)
    base["model"]["name"] = "scn_x2"
    base["train"]["zero_blocks"] = True
    with pytest.raises(ConfigError, match="choose one"):
        config_from_dict(base)


@needs_shared
def test_toy_factorial_runs_reuses_a_record_and_is_not_redone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str], toy: Budget) -> None:
    monkeypatch.setenv("SCN_SHARED", str(SHARED))
    units = {u.start + ("-scn" if "_scn_" in u.key else "-wdsr"): u for u in
             plan([EXPERIMENTS["factorial"]], toy, 1, ("sr",), ("scn_matched", "wdsr_id", "scn_id"))}
    reused = units["identity-scn"]
    records = tmp_path / "records"
    write_records([fake_record("toy", reused.to_dict(), {"Set5": 30.0, "Set14": 28.0}, steps=toy.steps)], records)
    out = tmp_path / "suite"
    args = ["experiments", "run", "factorial", "--budget", "toy", "--seeds", "1", "--tasks", "sr", "--variants",
            "scn_matched", "wdsr_id", "scn_id", "--out", str(out), "--records", str(records), "--no-progress"]
    assert main(args) == 0
    assert "1 of 3 runs reused" in capsys.readouterr().err
    folders = sorted(p.name for p in (out / "runs").iterdir())
    assert folders == sorted([units["matched-scn"].key, units["identity-wdsr"].key])
    assert "match_residual: true" in (out / "runs" / units["matched-scn"].key / "config.yaml").read_text()
    assert "zero_blocks: true" in (out / "runs" / units["identity-wdsr"].key / "config.yaml").read_text()
    stamps = {f: f.stat().st_mtime_ns for f in out.glob("runs/*/" + RESULT_FILE)}
    assert len(stamps) == 2
    assert main(args) == 0  # again: nothing to do
    assert stamps == {f: f.stat().st_mtime_ns for f in out.glob("runs/*/" + RESULT_FILE)}
    found = {r.key for r in collect(out)} | {r.key for r in collect(records)}
    assert found == {u.key for u in units.values()}


@needs_shared
def test_a_recorded_run_is_reproduced_exactly_from_its_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str], toy: Budget) -> None:
    monkeypatch.setenv("SCN_SHARED", str(SHARED))
    unit = plan([EXPERIMENTS["factorial"]], toy, 1, ("sr",), ("scn_matched",))[0]
    assert run_suite([unit], toy, tmp_path / "suite", "cpu", 1, progress=False) == 0
    write_records(collect(tmp_path / "suite"), tmp_path / "records")
    record = tmp_path / "records" / "toy" / f"{unit.key}.json"
    assert main(["experiments", "reproduce", str(record), "--out", str(tmp_path / "again")]) == 0
    assert f"identical to {record}" in capsys.readouterr().out
    data = json.loads(record.read_text())
    data["result"]["scores"]["default"]["Set5"]["psnr"] += 0.001
    record.write_text(json.dumps(data))
    assert main(["experiments", "reproduce", str(record), "--out", str(tmp_path / "again")]) == 1
    assert "default Set5 psnr: recorded" in capsys.readouterr().out
