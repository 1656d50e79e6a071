"""`scn experiments list | run NAME... | report`: the paper's experiments, trained, evaluated and reported."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import Any

import torch

from ..errors import ConfigError, did_you_mean
from ..tasks import TASKS
from ..experiments import (BUDGETS, EXPERIMENTS, Budget, Experiment, collect, get_budget, get_experiment, plan,
                           render, run_suite, run_unit, write_records)
from ..experiments.reproduce import reproduce

DEFAULT_ROOT = Path("runs/experiments")
DEFAULT_DOC = Path("docs/experiments.md")


def add_parser(sub: Any) -> None:
    p = sub.add_parser("experiments", help="run and report the paper's experiments (Tables 4-6, Figs. 6-8, "
                                           "SCN vs WDSR at equal budget)",
                       description="Train and evaluate every variant of the paper's experiments under one budget, "
                                   "several seeds, runs side by side; then write docs/experiments.md.")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)

    listing = actions.add_parser("list", help="the experiments and budgets, with the runs each needs")
    listing.add_argument("--budget", default="cpu", help=f"{', '.join(BUDGETS)} (default cpu)")
    listing.add_argument("--seeds", type=int, default=3)
    listing.set_defaults(run=run_list)

    run = actions.add_parser("run", help="train and evaluate experiments (resumable: run it again after a stop)")
    run.add_argument("names", nargs="+", metavar="NAME", help=f"{', '.join(EXPERIMENTS)}, or all")
    run.add_argument("--budget", default="cpu", help=f"{', '.join(BUDGETS)} (default cpu)")
    run.add_argument("--seeds", type=int, default=3, help="seeds per variant (default 3)")
    run.add_argument("--out", type=Path, default=None, metavar="DIR",
                     help=f"suite folder (default {DEFAULT_ROOT}/BUDGET)")
    run.add_argument("--tasks", nargs="+", default=[], choices=list(TASKS), metavar="TASK",
                     help="only the studies of these tasks (sr, denoise, jpeg; default all)")
    run.add_argument("--variants", nargs="+", default=[], metavar="NAME",
                     help="only these variants of the experiments (e.g. scn_id wdsr_id; default all)")
    run.add_argument("--jobs", type=int, default=None, help="runs side by side (default: the budget's)")
    run.add_argument("--device", default=None, help="cpu or cuda (default: the budget's)")
    run.add_argument("--records", type=Path, default=DEFAULT_DOC.with_suffix("") / "records", metavar="DIR",
                     help="reuse the runs these committed records hold (default docs/experiments/records)")
    run.add_argument("--retrain", action="store_true", help="train every run, even those the records hold")
    run.add_argument("--no-progress", action="store_true")
    run.set_defaults(run=run_run)

    report = actions.add_parser("report", help="write docs/experiments.md and its plots from finished runs")
    report.add_argument("roots", nargs="*", type=Path, metavar="DIR",
                        help=f"suite folders or record folders (default {DEFAULT_ROOT} and docs/experiments/records)")
    report.add_argument("--doc", type=Path, default=DEFAULT_DOC, help=f"the page to write (default {DEFAULT_DOC})")
    report.set_defaults(run=run_report)

    again = actions.add_parser("reproduce", help="train one recorded run again and compare it with its record",
                               description="Train the run a record (docs/experiments/records/BUDGET/KEY.json) "
                                           "describes, from the record alone, and compare its scores and log with "
                                           "the record's. Exit 0 when they are identical, 1 when not.")
    again.add_argument("record", type=Path, metavar="RECORD")
    again.add_argument("--out", type=Path, default=Path("runs/reproduce"), metavar="DIR",
                       help="folder for the run, in DIR/BUDGET (default runs/reproduce)")
    again.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    again.set_defaults(run=run_reproduce)

    unit = actions.add_parser("run-unit", help=argparse.SUPPRESS)  # one run of a suite, in its own process
    unit.add_argument("folder", type=Path)
    unit.add_argument("--device", required=True)
    unit.set_defaults(run=run_one)


def selected(names: list[str]) -> list[str]:
    chosen = list(EXPERIMENTS) if "all" in names else names
    for name in chosen:
        get_experiment(name)
    return list(dict.fromkeys(chosen))


def check_variants(experiments: list[Experiment], budget: Budget, names: list[str]) -> None:
    """Every name given to --variants is a variant of one of the experiments."""
    known = {v.name for e in experiments for study in e.studies(budget) for v in study.variants}
    for name in names:
        if name not in known:
            raise ConfigError(f"--variants {name}: not a variant of {', '.join(e.name for e in experiments)}; "
                              f"{did_you_mean(name, known)}choose from {', '.join(sorted(known))}")


def run_list(args: argparse.Namespace) -> int:
    budget = get_budget(args.budget)
    print(f"budget {budget.name}: {budget.describe()}")
    for name, experiment in EXPERIMENTS.items():
        try:
            units = plan([experiment], budget, args.seeds)
            count = f"{len(units)} runs at {args.seeds} seed(s)"
        except ConfigError as e:
            count = f"does not fit this budget ({e})"
        print(f"  {name:13s} {experiment.title} [{count}]")
    try:
        total = f"{len(plan(list(EXPERIMENTS.values()), budget, args.seeds))} runs"
    except ConfigError:
        total = "not every experiment fits this budget"
    print(f"  {'all':13s} every experiment, a run shared by two trained once [{total}]")
    return 0


def run_run(args: argparse.Namespace) -> int:
    budget = get_budget(args.budget)
    if args.seeds < 1:
        raise ConfigError(f"--seeds {args.seeds}: use 1 or more")
    device = args.device or budget.device
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"budget {budget.name!r} runs on {device}, but no CUDA device is available; use "
                          "--budget cpu (or --device cpu to run the gpu budget slowly)")
    jobs = args.jobs or budget.jobs
    if jobs < 1:
        raise ConfigError(f"--jobs {jobs}: use 1 or more")
    out = args.out or DEFAULT_ROOT / budget.name
    experiments = [get_experiment(n) for n in selected(args.names)]
    check_variants(experiments, budget, args.variants)
    units = plan(experiments, budget, args.seeds, tuple(args.tasks), tuple(args.variants))
    if not units:
        raise ConfigError(f"no runs: {', '.join(args.names)} has no study of task {', '.join(args.tasks)}")
    print(f"scn experiments: {len(units)} runs in {out}, {jobs} side by side on {device}", file=sys.stderr)
    code = run_suite(units, budget, out, device, jobs, progress=not args.no_progress,
                     records=None if args.retrain else args.records)
    if code > 128:
        print(f"scn experiments: stopped by {signal.Signals(code - 128).name}; finished runs are kept and running "
              "ones checkpointed: run the same command again to continue", file=sys.stderr)
    elif code == 0:
        print(f"scn experiments: done; `scn experiments report` writes {DEFAULT_DOC}", file=sys.stderr)
    return code


def run_report(args: argparse.Namespace) -> int:
    records_dir = args.doc.with_suffix("") / "records"
    roots = args.roots or [r for r in (DEFAULT_ROOT, records_dir) if r.exists()]
    records = [r for root in roots for r in collect(root)]
    if not records:
        raise ConfigError(f"no finished runs under {', '.join(map(str, roots)) or DEFAULT_ROOT}; run "
                          "`scn experiments run NAME` first")
    unique = {(r.budget, r.key): r for r in records}
    write_records(list(unique.values()), records_dir)
    doc = render(list(unique.values()), args.doc, args.doc.with_suffix(""))
    print(f"wrote {doc} from {len(unique)} runs (records in {records_dir})")
    return 0


def run_reproduce(args: argparse.Namespace) -> int:
    old, new, diffs = reproduce(args.record, args.out, args.device)
    for evaluation, sets in new.result["scores"].items():
        for dataset, metrics in sets.items():
            print(f"{new.key} {evaluation} {dataset}: " + ", ".join(f"{k} {v}" for k, v in metrics.items()))
    if diffs:
        print(f"differs from {args.record} in {len(diffs)} place(s):", *diffs[:20], sep="\n  ")
        return 1
    print(f"identical to {args.record}: every score and all {len(old.log)} log rows (loss, validation PSNR)")
    return 0


def run_one(args: argparse.Namespace) -> int:
    return run_unit(args.folder, args.device)

