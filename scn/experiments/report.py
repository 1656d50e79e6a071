"""`scn experiments report`: docs/experiments.md (a table per experiment and budget: mean ± std over seeds, the
paper's number beside ours, steps, wall time, parameters, MACs; a verdict per claim of the paper) and its plots
(validation curves; Fig. 6 as the paper draws it; Figs. 7 and 8 for fixed trained models)."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..atomic import atomic_write
from ..training.plot import new_figure
from .catalog import BUDGETS, EVAL_RATIOS, EXPERIMENTS, FACTORIAL_BASE, RATIOS, TEST_SETS, Budget, Claim, \
    Experiment, Study, fig6_name
from .plan import study_units
from .records import EQUAL_MARGIN, Paired, Record, Summary, Verdict, paired, summarize, verdict

if TYPE_CHECKING:
    from matplotlib.figure import Figure

MAX_SEEDS = 32


@dataclass
class StudyRecords:
    """The records of one study under one budget: variant name -> records over seeds (seed order)."""

    experiment: Experiment
    study: Study
    budget: Budget
    runs: dict[str, list[Record]]

    @property
    def seeds(self) -> int:
        return max((len(v) for v in self.runs.values()), default=0)

    def values(self, variant: str, evaluation: str, dataset: str) -> list[float]:
        return list(self.by_seed(variant, evaluation, dataset).values())

    def by_seed(self, variant: str, evaluation: str, dataset: str) -> dict[int, float]:
        """seed -> score of the variant's runs that have it."""
        out = {int(r.unit["seed"]): r.score(evaluation, dataset) for r in self.runs.get(variant, [])}
        return {seed: v for seed, v in out.items() if v is not None}

    def mean_over_sets(self, variant: str, evaluation: str) -> Summary:
        """Per seed, the mean PSNR over the study's test sets; summarised over seeds."""
        per_seed = []
        for record in self.runs.get(variant, []):
            scores = [record.score(evaluation, d) for d in TEST_SETS[self.study.task.name]]
            if all(s is not None for s in scores):
                per_seed.append(statistics.fmean(s for s in scores if s is not None))
        return summarize(per_seed)


def gather(records: list[Record], experiment: Experiment, budget: Budget) -> list[StudyRecords]:
    by_key = {r.key: r for r in records if r.budget == budget.name}
    out = []
    for study in experiment.studies(budget):
        units = study_units(study, budget, MAX_SEEDS)
        runs: dict[str, list[Record]] = {}
        for (variant, seed), unit in sorted(units.items(), key=lambda item: item[0][1]):
            runs.setdefault(variant, []).extend([by_key[unit.key]] if unit.key in by_key else [])
        if any(runs.values()):
            out.append(StudyRecords(experiment, study, budget, runs))
    return out


# -- tables ------------------------------------------------------------------------------------------------------
def _minutes(seconds: list[float]) -> str:
    return f"{statistics.fmean(seconds) / 60:.1f}" if seconds else "-"


def study_table(sr: StudyRecords) -> list[str]:
    sets = TEST_SETS[sr.study.task.name]
    head = ["variant", "params", "MACs / px", "steps", "minutes", *[f"{d} PSNR" for d in sets], "paper"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for v in sr.study.variants:
        runs = sr.runs.get(v.name, [])
        if not runs:
            lines.append(f"| {v.label} | " + " | ".join(["not run"] + ["-"] * (len(head) - 2)) + " |")
            continue
        first = runs[0].result
        steps = sorted({int(r.result["steps"]) for r in runs})
        cells = [v.label, f"{first['params']:,}", f"{first['macs_per_pixel']:,}",
                 "/".join(str(s) for s in steps), _minutes([float(r.result["seconds"]) for r in runs])]
        cells += [summarize(sr.values(v.name, "default", d)).text() for d in sets]
        cells.append(v.paper_text())
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def claim_verdicts(sr: StudyRecords) -> list[tuple[Claim, str, Verdict | None]]:
    """(claim, test set, verdict; None where a side was not run) for every claim of a study and test set."""
    out: list[tuple[Claim, str, Verdict | None]] = []
    for claim in sr.study.claims:
        for d in TEST_SETS[sr.study.task.name]:
            better = sr.by_seed(claim.better, claim.better_eval, d)
            worse = sr.by_seed(claim.worse, claim.worse_eval, d)
            out.append((claim, d, verdict(better, worse, claim.same) if better and worse else None))
    return out


def claim_lines(sr: StudyRecords) -> list[tuple[Claim, str, str]]:
    """(claim, test set, verdict text) for every claim of a study and every test set."""
    return [(c, d, v.text() if v else "not run") for c, d, v in claim_verdicts(sr)]


def eval_table(sr: StudyRecords, kind: str) -> list[str]:
    """Figs. 7 / 8: rows = trained models, columns = evaluation depth / ratio (mean PSNR over the test sets)."""
    b = sr.budget
    columns = [(f"levels{d}", str(d)) for d in range(1, b.eval_levels + 1)] if kind == "levels" else \
        [(f"ratio{r:.3f}", f"{r:.2f}") for r in EVAL_RATIOS]
    head = ["trained", *[c[1] for c in columns]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for v in sr.study.variants[1:]:
        cells = [v.label]
        for name, _ in columns:
            trained = (name == f"levels{v.overrides['num_scales']}" if kind == "levels"
                       else abs(float(name[5:]) - v.overrides["ratio"]) < 1e-3)
            s = sr.mean_over_sets(v.name, "default" if trained else name)
            cells.append(f"**{s.text()}**" if trained and s.n else s.text())
        lines.append("| " + " | ".join(cells) + " |")
    return lines


# -- plots -------------------------------------------------------------------------------------------------------
def _save(fig: Figure, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=90, format="png"))


def _mean_curve(records: list[Record]) -> tuple[list[int], list[float], list[float]]:
    curves = [r.curve() for r in records]
    length = min(len(c[0]) for c in curves)
    steps = curves[0][0][:length]
    psnr = [statistics.fmean(c[1][i] for c in curves) for i in range(length)]
    seconds = [statistics.fmean(c[2][i] for c in curves) for i in range(length)]
    return steps, psnr, seconds


def plot_curves(sr: StudyRecords, path: Path) -> Path:
    """Validation PSNR (mean over seeds) against step and against wall-clock, a line per variant."""
    fig = new_figure(figsize=(11, 3.8))
    by_step, by_time = fig.subplots(1, 2)
    for v in sr.study.variants:
        runs = [r for r in sr.runs.get(v.name, []) if r.curve()[0]]
        if not runs:
            continue
        steps, psnr, seconds = _mean_curve(runs)
        by_step.plot(steps, psnr, "o-", ms=3, label=v.label)
        by_time.plot([s / 60 for s in seconds], psnr, "o-", ms=3, label=v.label)
    val_set = TEST_SETS[sr.study.task.name][0]
    by_step.set(xlabel="step", ylabel=f"{val_set} PSNR (dB, first {sr.budget.val_images} images)",
                title="validation against steps")
    by_time.set(xlabel="wall-clock (min, validation included)", title="validation against time")
    by_step.legend(fontsize=7)
    fig.suptitle(f"{sr.experiment.name}, {sr.study.label}, budget {sr.budget.name}: mean of {sr.seeds} seed(s)")
    _save(fig, path)
    return path


def plot_levels(sr: StudyRecords, path: Path) -> Path:
    """Fig. 6: PSNR against the number of levels, a line per ratio (1 level: the single-scale network)."""
    fig = new_figure(figsize=(5.5, 3.8))
    ax = fig.subplots()
    base = sr.mean_over_sets("levels1", "default")
    for label in RATIOS:
        xs, ys, es = [1], [base.mean], [0.0 if math.isnan(base.std) else base.std]
        for levels in range(2, sr.budget.max_levels + 1):
            s = sr.mean_over_sets(fig6_name(label, levels), "default")
            if s.n:
                xs.append(levels)
                ys.append(s.mean)
                es.append(0.0 if math.isnan(s.std) else s.std)
        ax.errorbar(xs, ys, yerr=es, marker="o", capsize=3, label=f"ratio {label}")
    ax.set(xlabel="number of levels (training = evaluation)", ylabel="PSNR (dB), mean of " +
           "+".join(TEST_SETS[sr.study.task.name]), title=f"Fig. 6, budget {sr.budget.name}")
    ax.legend()
    _save(fig, path)
    return path


def plot_evals(sr: StudyRecords, path: Path, kind: str) -> Path:
    """Fig. 7 (kind 'levels': PSNR against the evaluation depth) or Fig. 8 ('ratios': against the evaluation
    ratio), a panel per training ratio and a line per trained model; the trained setting is the filled marker."""
    fig = new_figure(figsize=(13, 3.8))
    axes = fig.subplots(1, len(RATIOS), sharey=True)
    for ax, (label, ratio) in zip(axes, RATIOS.items()):
        for levels in range(2, sr.budget.max_levels + 1):
            v = fig6_name(label, levels)
            points = ([(d, f"levels{d}", d == levels) for d in range(1, sr.budget.eval_levels + 1)] if kind == "levels"
                      else [(r, f"ratio{r:.3f}", abs(r - ratio) < 1e-6) for r in EVAL_RATIOS])
            xs, ys, own = [], [], None
            for x, name, trained in points:
                s = sr.mean_over_sets(v, "default" if trained else name)
                if s.n:
                    xs.append(x)
                    ys.append(s.mean)
                    own = (x, s.mean) if trained else own
            if xs:
                line = ax.plot(xs, ys, "o-", ms=3, mfc="none", label=f"trained with {levels} levels")[0]
                if own:
                    ax.plot(*own, "o", color=line.get_color())
        ax.set(title=f"trained at ratio {label}", xlabel="evaluation levels" if kind == "levels" else
               "evaluation ratio")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    axes[0].set_ylabel("PSNR (dB), mean of " + "+".join(TEST_SETS[sr.study.task.name]))
    fig.suptitle(f"Fig. {7 if kind == 'levels' else 8}, budget {sr.budget.name}")
    _save(fig, path)
    return path


# -- the document ------------------------------------------------------------------------------------------------
INTRO = """# Experiments: the paper's claims, tested

Every number here comes from `scn experiments` (scn/experiments/): each experiment trains every variant with
each seed under one budget (the same network size, data and steps for every variant of an experiment), then
evaluates under the field's protocol (docs/evaluation.md) on test sets only: Set5 + Set14 (SR), Set12
(denoising), Classic5 (JPEG). Regenerate it with

```
{commands}
scn experiments report                                  # this page, its plots, and records/ (the runs' logs)
```

**Budgets.** {budgets}

**The paper's numbers** (Tables 4-6) are x2 SR on DIV2K validation by networks of 1.2M parameters trained for
days; ours are far smaller and shorter, so compare directions, not values. **Verdicts** are paired: a seed fixes
the data order and the initial weights of the layers both networks share, so each claim is judged on the per-seed
differences (better - worse on each test set), their mean and a 95% Student t interval (n - 1 degrees of
freedom): *confirmed* when the interval lies above 0, *not confirmed* when below, *not resolved* when it spans 0.
An equality claim needs the interval inside ±{margin} dB (*confirmed*), is *not confirmed* when the interval lies
wholly outside that margin, and is *not shown* otherwise (equal only to the interval's width). The earlier,
unpaired rule (the difference of the means against 2 sqrt(s_a² + s_b²)) is kept beside each verdict. Minutes:
wall-clock of one run, validation included, with {jobs} runs side by side.
"""


def cost_lines(records: list[Record], budgets: list[str]) -> list[str]:
    """Per budget: runs recorded and their training time (validation included; evaluation and start-up not)."""
    lines = []
    for name in budgets:
        mine = [r for r in records if r.budget == name]
        hours = sum(float(r.result["seconds"]) for r in mine) / 3600
        jobs = BUDGETS[name].jobs
        lines.append(f"**Cost, `{name}`.** {len(mine)} runs recorded; their training took {hours:.1f} h summed over "
                     f"runs, {hours / jobs:.1f} h with {jobs} side by side (evaluation and start-up not counted).")
    return lines + [""] if lines else []


def _diffs(pair: Paired) -> str:
    return " / ".join(f"{d:+.3f}" for d in pair.diffs)


def _interval(pair: Paired) -> str:
    if pair.n < 2:
        return f"{pair.mean:+.3f}"
    low, high = pair.interval
    return f"{pair.mean:+.3f} [{low:+.3f}, {high:+.3f}]"


def claims_summary(groups: list[StudyRecords]) -> list[str]:
    head = ["experiment", "budget", "task", "claim", "test set", "per seed (dB)", "mean [95% CI]", "verdict",
            "unpaired rule"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for sr in groups:
        for claim, dataset, v in claim_verdicts(sr):
            cells = ([_diffs(v.pair), _interval(v.pair), f"**{v.word}**", v.unpaired] if v
                     else ["-", "-", "not run", "-"])
            lines.append(f"| {sr.experiment.name} | {sr.budget.name} | {sr.study.label} | {claim.text} | {dataset} | "
                         + " | ".join(cells) + " |")
    return lines


def changed_verdicts(groups: list[StudyRecords]) -> list[str]:
    """The claims whose paired verdict differs from the unpaired rule's, one line each."""
    lines = []
    for sr in groups:
        for claim, dataset, v in claim_verdicts(sr):
            if v and v.word != v.unpaired:
                lines.append(f"- {sr.experiment.name}, `{sr.budget.name}`, {sr.study.label}: {claim.text} ({dataset}): "
                             f"{v.unpaired} -> **{v.word}** ({_interval(v.pair)} dB)")
    return lines or ["- none"]


# -- the factorial ----------------------------------------------------------------------------------------------
def factorial_tables(sr: StudyRecords) -> list[str]:
    """Start x residual: each architecture's PSNR under each start, the start's paired effect, and each cell's
    paired difference to WDSR under the same start."""
    starts = [s for s in ("reference", "identity", "matched") if any(v.start == s for v in sr.study.variants)]
    archs = list(dict.fromkeys(v.name.removesuffix("_id").removesuffix("_matched") for v in sr.study.variants))
    label = {v.name: v.label.rsplit(", ", 1)[0] for v in sr.study.variants}
    suffix = {"reference": "", "identity": "_id", "matched": "_matched"}
    lines = []
    for d in TEST_SETS[sr.study.task.name]:
        head = ["network", *[f"{s} start" for s in starts], "identity - reference", *[f"- WDSR ({s})" for s in starts]]
        lines += [f"{d} PSNR (dB; mean ± std over seeds; differences paired by seed, mean [95% CI]):", "",
                  "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for arch in archs:
            cells = [label.get(arch, arch)]
            names = {s: arch + suffix[s] for s in starts}
            cells += [summarize(sr.values(names[s], "default", d)).text(3) if names[s] in label else "" for s in starts]
            ref, ident = sr.by_seed(names["reference"], "default", d), sr.by_seed(arch + "_id", "default", d)
            cells.append(_interval(paired(ident, ref)) if ref and ident else "")
            for s in starts:
                mine = sr.by_seed(names[s], "default", d)
                base = sr.by_seed(FACTORIAL_BASE + suffix.get(s, ""), "default", d)
                if s == "matched":
                    base = sr.by_seed(FACTORIAL_BASE, "default", d)
                cells.append(_interval(paired(mine, base)) if mine and base and arch != FACTORIAL_BASE else "")
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return lines


# -- SCN - WDSR against training length -------------------------------------------------------------------------
GAP_BUDGETS = ("cpu", "cpu-long", "cpu-16x", "paper-size")


GAP_PAIRINGS = (  # (what starts, SCN's variant, WDSR's variant) in the `pair` experiment
    ("reference init", "scn", "wdsr"),
    ("identity start", "scn_id", "wdsr_id"),
    ("SCN identity, WDSR reference (each one's better start at the cpu budget)", "scn_id", "wdsr"),
)


def gap_groups(records: list[Record]) -> list[tuple[StudyRecords, str, str, str]]:
    """(x2 records of a budget, starts, SCN variant, WDSR variant) for every budget and pairing with both run."""
    out = []
    for name in GAP_BUDGETS:
        for sr in gather(records, EXPERIMENTS["pair"], BUDGETS[name]):
            for starts, scn, wdsr in GAP_PAIRINGS:
                if sr.runs.get(scn) and sr.runs.get(wdsr):
                    out.append((sr, starts, scn, wdsr))
    return out


def curve_gap(sr: StudyRecords, scn: str, wdsr: str) -> tuple[list[int], list[Paired]]:
    """Steps and, at each, the SCN - WDSR validation PSNR differences paired by seed."""
    curves = {}
    for name in (scn, wdsr):
        curves[name] = {int(r.unit["seed"]): dict(zip(r.curve()[0], r.curve()[1])) for r in sr.runs[name]}
    seeds = sorted(set(curves[scn]) & set(curves[wdsr]))
    steps = sorted(set.intersection(*[set(curves[n][s]) for n in curves for s in seeds])) if seeds else []
    return steps, [paired({s: curves[scn][s][t] for s in seeds}, {s: curves[wdsr][s][t] for s in seeds})
                   for t in steps]


def gap_table(records: list[Record]) -> list[str]:
    head = ["budget", "size", "starts", "steps", "seeds", *[f"{d}: SCN - WDSR" for d in TEST_SETS["sr"]]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for sr, starts, scn, wdsr in gap_groups(records):
        b = sr.budget
        gaps = [paired(sr.by_seed(scn, "default", d), sr.by_seed(wdsr, "default", d)) for d in TEST_SETS["sr"]]
        lines.append(f"| `{b.name}` | {b.features} features x {b.blocks} blocks, {b.patch}-px patches | {starts} | "
                     f"{b.steps:,} | {gaps[0].n} | " + " | ".join(_interval(g) for g in gaps) + " |")
    return lines


def plot_gap(records: list[Record], path: Path) -> Path | None:
    """The paired SCN - WDSR gap on the validation set against steps, a panel per network size and a line per
    budget and pairing of starts: the mean over seeds with its 95% interval as a band (3 seeds or more; with 2,
    whose t interval is 12.7 x the standard error, the seeds' own gaps as thin lines instead)."""
    groups = gap_groups(records)
    if not groups:
        return None
    sizes = list(dict.fromkeys((sr.budget.features, sr.budget.blocks) for sr, *_ in groups))
    fig = new_figure(figsize=(6.5 * len(sizes), 4.6))
    axes = fig.subplots(1, len(sizes), squeeze=False)[0]
    style = {GAP_PAIRINGS[0][0]: "--", GAP_PAIRINGS[1][0]: "-", GAP_PAIRINGS[2][0]: "-."}
    colours = {name: f"C{i}" for i, name in enumerate(GAP_BUDGETS)}
    for ax, size in zip(axes, sizes):
        for sr, starts, scn, wdsr in (g for g in groups if (g[0].budget.features, g[0].budget.blocks) == size):
            steps, pairs = curve_gap(sr, scn, wdsr)
            if not steps:
                continue
            colour, n = colours[sr.budget.name], pairs[0].n
            ax.plot(steps, [p.mean for p in pairs], style[starts], color=colour, marker="o", ms=2.5,
                    label=f"{sr.budget.name}: {starts.split(' (')[0]} ({n} seeds)")
            if n >= 3:
                ax.fill_between(steps, [p.interval[0] for p in pairs], [p.interval[1] for p in pairs],
                                color=colour, alpha=0.12)
            elif n == 2:
                for i in range(n):
                    ax.plot(steps, [p.diffs[i] for p in pairs], style[starts], color=colour, lw=0.6, alpha=0.5)
        ax.axhline(0, color="black", lw=0.8)
        ax.set_xscale("log")
        ax.set(xlabel="step (log)", ylabel="SCN - WDSR, Set5 validation PSNR (dB)",
               title=f"{size[0]} features x {size[1]} blocks")
        ax.legend(fontsize=7)
    fig.suptitle("x2 SR: SCN minus WDSR, paired by seed (band: 95% interval; thin: each seed of a 2-seed pair)")
    _save(fig, path)
    return path


FINDINGS = "findings.md"  # beside the plots: the hand-written reading of the numbers, kept across regenerations


def rerun_commands(groups: list[StudyRecords]) -> list[str]:
    """The `scn experiments run` lines that train what the page shows: per budget, the experiments with the
    seeds every variant has (and the tasks run, when not all), then a line per larger seed count naming the
    variants that have it (`--variants`)."""
    seeds_of: dict[tuple[str, str], dict[str, int]] = {}  # (budget, experiment) -> variant -> seeds everywhere
    tasks_of: dict[tuple[str, str], set[str]] = {}
    for g in groups:
        key = (g.budget.name, g.experiment.name)
        counts = seeds_of.setdefault(key, {})
        for variant, runs in g.runs.items():
            if runs:
                counts[variant] = min(counts.get(variant, len(runs)), len(runs))
        tasks_of.setdefault(key, set()).add(g.study.task.name)
    lines: dict[str, list[str]] = {}
    for (budget, name), counts in seeds_of.items():
        if not counts:
            continue
        every = {s.task.name for s in EXPERIMENTS[name].studies(BUDGETS[budget])}
        tasks = tasks_of[(budget, name)]
        only = "" if tasks == every else " --tasks " + " ".join(sorted(tasks))
        base = min(counts.values())
        variants = {v.name for study in EXPERIMENTS[name].studies(BUDGETS[budget]) if study.task.name in tasks
                    for v in study.variants}
        some = "" if variants <= set(counts) else " --variants " + " ".join(counts)  # only those with runs
        lines.setdefault(f" --budget {budget} --seeds {base}{only}{some}", []).append(name)
        for n in sorted({c for c in counts.values() if c > base}):
            more = " ".join(v for v, c in counts.items() if c >= n)
            lines.setdefault(f" --budget {budget} --seeds {n}{only} --variants {more}", []).append(name)
    return [f"scn experiments run {' '.join(names)}{rest}" for rest, names in lines.items()]


def render(records: list[Record], doc: Path, plots: Path) -> Path:
    """Write `doc` (markdown) and its plots under `plots` (linked relative to `doc`); `plots/findings.md`, where a
    person wrote what the numbers show, goes in verbatim after the costs."""
    groups: list[StudyRecords] = []
    present = {r.budget for r in records}
    for experiment in EXPERIMENTS.values():
        for budget in (b for b in BUDGETS.values() if b.name in present and b.name in experiment.budgets):
            groups.extend(gather(records, experiment, budget))
    budgets = sorted({g.budget.name for g in groups}, key=list(BUDGETS).index)
    commands = rerun_commands(groups) or ["scn experiments run all --budget cpu --seeds 3"]
    commands[0] += "   # trains; resumable: run it again after a stop"
    described = " ".join(f"`{b}`: {BUDGETS[b].describe()}." for b in budgets) or "none run yet."
    text = INTRO.format(margin=f"{EQUAL_MARGIN:.2f}", commands="\n".join(commands), budgets=described,
                        jobs=" / ".join(str(BUDGETS[b].jobs) for b in budgets) or "2")
    findings = plots / FINDINGS
    reading = [findings.read_text().rstrip(), ""] if findings.is_file() else []
    lines = [text, *cost_lines(records, budgets), *reading]
    gap_plot = plot_gap(records, plots / "gap_sr2.png")
    if gap_plot is not None:
        lines += ["## SCN - WDSR against training length and size (x2)", "",
                  "Test-set PSNR differences paired by seed, mean [95% CI] (`scn experiments run pair`, and the "
                  "factorial's and `long`'s x2 cells, which are the same runs):", "", *gap_table(records), "",
                  f"![the gap against steps]({_relative(gap_plot, doc.parent)})", ""]
    lines += ["## Verdicts that changed from the unpaired rule", "", *changed_verdicts(groups), "",
              "## Every claim, and its verdict", "", *claims_summary(groups), ""]
    for experiment in EXPERIMENTS.values():
        mine = [g for g in groups if g.experiment is experiment]
        lines += [f"## {experiment.name}: {experiment.title}", "", f"Paper: {experiment.paper_source}.", ""]
        if not mine:
            command = f"scn experiments run {experiment.name} --budget {experiment.budgets[0]} --seeds 3"
            lines += [f"Not run yet: `{command}`.", ""]
            continue
        for sr in mine:
            stem = f"{experiment.name}_{sr.study.task.name}{sr.study.setting}_{sr.budget.name}"
            lines += [f"### {sr.study.label}, budget `{sr.budget.name}`, {sr.seeds} seed(s)", ""]
            if experiment.plot in ("eval_levels", "eval_ratios"):
                kind = "levels" if experiment.plot == "eval_levels" else "ratios"
                lines += [f"Mean PSNR over {' + '.join(TEST_SETS[sr.study.task.name])}, evaluated at each "
                          f"{'depth' if kind == 'levels' else 'ratio'} (bold: as trained).", "",
                          *eval_table(sr, kind), ""]
                image = plot_evals(sr, plots / f"{stem}.png", kind)
            else:
                lines += [*study_table(sr), ""]
                if experiment.name == "factorial":
                    lines += factorial_tables(sr)
                image = (plot_levels if experiment.plot == "levels" else plot_curves)(sr, plots / f"{stem}.png")
            for claim, dataset, verdict_text in claim_lines(sr):
                lines.append(f"- {claim.text} ({dataset}): **{verdict_text}**")
            lines += ["", f"![{stem}]({_relative(image, doc.parent)})", ""]
    doc.parent.mkdir(parents=True, exist_ok=True)
    body = "\n".join(lines).rstrip() + "\n"
    atomic_write(doc, lambda tmp: Path(tmp).write_text(body))
    return doc


def _relative(path: Path, start: Path) -> str:
    try:
        return str(path.resolve().relative_to(start.resolve()))
    except ValueError:
        return str(path.resolve())
