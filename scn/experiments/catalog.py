"""The paper's experiments as data: budgets (how big and how long), variants (which networks) and claims (what
the paper says of them, tested by the report). `scn experiments run NAME` trains and evaluates what is here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..data.io import SHARED
from ..errors import ConfigError, did_you_mean
from ..tasks import DENOISE, JPEG, SR, Task

DATASETS = f"{SHARED}/datasets"
TRAIN_SETS = {"sr": [f"{DATASETS}/train/T91", f"{DATASETS}/train/BSD200"],
              "denoise": [f"{DATASETS}/train/Train400"],
              "jpeg": [f"{DATASETS}/train/T91", f"{DATASETS}/train/BSD200"]}
TEST_SETS = {"sr": ["Set5", "Set14"], "denoise": ["Set12"], "jpeg": ["Classic5"]}  # never the training images


@dataclass(frozen=True)
class Budget:
    """One size and length for every variant of every experiment: `features` and `blocks` are the networks'
    width and depth (variants scale `blocks`), `steps` the training length at batch `batch` of `patch`-pixel
    (input) patches, `jobs` the runs side by side, `threads` each run's CPU threads, `max_levels` Fig. 6's
    deepest pyramid, `eval_levels` the depths Fig. 7 evaluates."""

    name: str
    device: str
    features: int
    blocks: int
    steps: int
    batch: int
    patch: int
    jobs: int
    threads: int
    max_levels: int
    eval_levels: int
    val_points: int = 5
    val_images: int = 5

    def describe(self) -> str:
        return (f"{self.features} features, {self.blocks} blocks (x4 width), {self.steps} steps of batch "
                f"{self.batch} x {self.patch}x{self.patch} input patches, Adam 1e-3 with the paper's schedule "
                f"scaled to the run, {self.jobs} runs side by side on {self.device}")


BUDGETS = {
    "cpu": Budget("cpu", "cpu", features=16, blocks=4, steps=1500, batch=16, patch=32, jobs=2, threads=1,
                  max_levels=4, eval_levels=8),
    # gpu: sized by estimate, not yet measured (no GPU lent so far): SCN is launch-bound on a GPU (about 7,400
    # kernels per step), so a step takes some 40 ms whatever the width; 16 runs side by side, one CPU core each
    "gpu": Budget("gpu", "cuda", features=32, blocks=4, steps=2000, batch=16, patch=48, jobs=16, threads=1,
                  max_levels=6, eval_levels=9),
    # past warm-up: the cpu budget's networks 4x and 16x as long, validated every 300 steps as the cpu runs are
    "cpu-long": Budget("cpu-long", "cpu", features=16, blocks=4, steps=6000, batch=16, patch=32, jobs=2, threads=1,
                       max_levels=4, eval_levels=8, val_points=20),
    "cpu-16x": Budget("cpu-16x", "cpu", features=16, blocks=4, steps=24000, batch=16, patch=32, jobs=2, threads=1,
                      max_levels=4, eval_levels=8, val_points=80),
    # the paper's ablation size (section 4.1 and the authors' code: 8 blocks x 32 features, 48-pixel patches)
    "paper-size": Budget("paper-size", "cuda", features=32, blocks=8, steps=6000, batch=16, patch=48, jobs=8,
                         threads=1, max_levels=4, eval_levels=8, val_points=20),
}

# Where training starts (the factorial's second factor): `train` settings of the run's config
STARTS: dict[str, dict[str, Any]] = {
    "reference": {},  # the reference initialisation (WDSR's gains: 2 and 1/sqrt(B) in each body)
    "identity": {"zero_blocks": True},  # every block starts as the identity (Fixup / ReZero)
    "matched": {"match_residual": True},  # SCN's finest-level residual starts at the size of WDSR's
}


@dataclass(frozen=True)
class Variant:
    """One network of an experiment. `arch` and `overrides` are ModelConfig fields; `depth` scales the budget's
    blocks (Table 5's un-shared bodies); `time_of`: trained for as long (wall-clock) as variant `time_of` of
    the same experiment, its steps set from the measured time per step of both (equal wall-clock);
    `evals`: extra evaluations, name -> (levels, ratio) (Figs. 7 and 8); `paper`: the paper's PSNR (a
    number, or a text naming where it comes from); `start`: where training starts (a name of STARTS);
    `breadth`: scales the budget's features (Table 5's un-shared bodies at the shared depth)."""

    name: str
    label: str
    arch: str
    overrides: dict[str, Any] = field(default_factory=dict)
    depth: float = 1.0
    start: str = "reference"
    breadth: float = 1.0
    time_of: str | None = None
    paper: float | str | None = None
    evals: dict[str, tuple[int | None, float | None]] = field(default_factory=dict)

    def paper_text(self) -> str:
        return f"{self.paper:.2f}" if isinstance(self.paper, float) else self.paper or ""


@dataclass(frozen=True)
class Claim:
    """A statement of the paper: variant `better` beats `worse` (or `same`: they are equal within the noise), on
    every test set; `better_eval` / `worse_eval` name an evaluation of theirs other than the default one."""

    text: str
    better: str
    worse: str
    same: bool = False
    better_eval: str = "default"
    worse_eval: str = "default"


@dataclass(frozen=True)
class Study:
    """One task of an experiment: its variants and the claims that compare them."""

    task: Task
    setting: int
    variants: tuple[Variant, ...]
    claims: tuple[Claim, ...] = ()

    @property
    def label(self) -> str:
        return self.task.label(self.setting)

    def variant(self, name: str) -> Variant:
        for v in self.variants:
            if v.name == name:
                return v
        raise KeyError(name)


@dataclass(frozen=True)
class Experiment:
    name: str
    title: str
    paper_source: str  # where the paper's numbers come from
    studies: Callable[[Budget], tuple[Study, ...]]
    plot: str = "curves"  # curves | levels (Fig. 6) | eval_levels (Fig. 7) | eval_ratios (Fig. 8)
    # the budgets the report shows it at (its runs are content-named, so another experiment's runs at another
    # budget can fill its table: the paper-size pair is also equal-budget's SCN and WDSR)
    budgets: tuple[str, ...] = ("cpu", "gpu")


def _equal_budget(budget: Budget) -> tuple[Study, ...]:
    # Table 1 at full size (x2, Set5 / Set14); the paper trains no WDSR for denoising or JPEG
    paper = {("wdsr", "sr"): "38.10 / 33.72 (Table 1, full size)", ("scn", "sr"): "38.18 / 33.99 (Table 1, full size)",
             ("scn", "denoise"): "30.64 (Table 2, full size)", ("scn", "jpeg"): "29.53 (Table 3, full size)"}

    def variants(task: Task) -> tuple[Variant, ...]:
        return (
            Variant("wdsr", "WDSR (single-scale)", "wdsr", paper=paper.get(("wdsr", task.name), "")),
            Variant("scn", "SCN (4 levels, ratio 1/2)", "scn", {"num_scales": 4},
                    paper=paper.get(("scn", task.name), "")),
            Variant("scn_1level", "control: SCN with 1 level", "scn", {"num_scales": 1}),
            Variant("scn_zero_ends", "control: SCN, ends 'zero'", "scn", {"num_scales": 4, "ends": "zero"}),
            Variant("wdsr_res2", "control: WDSR, residual x2", "wdsr", {"res_scale": 2.0}),
            Variant("wdsr_time", "WDSR, SCN's wall-clock", "wdsr", time_of="scn"),
        )

    claims = (
        Claim("SCN beats WDSR at equal parameters and steps", "scn", "wdsr"),
        Claim("SCN beats WDSR at equal wall-clock", "scn", "wdsr_time"),
        Claim("control: the fusion helps (SCN beats itself with 1 level, whose residual is 3x)", "scn",
              "scn_1level"),
        Claim("control: the fusion helps (SCN beats WDSR with a doubled residual, as SCN's finest level starts)",
              "scn", "wdsr_res2"),
        Claim("control: a doubled residual leaves WDSR unchanged", "wdsr_res2", "wdsr", same=True),
        Claim("control: SCN with 'zero' ends (no doubled residual: x + r + Up(q r_1) at the finest level) beats WDSR",
              "scn_zero_ends", "wdsr"),
    )
    return tuple(Study(task, setting, variants(task), claims) for task, setting in ((SR, 2), (DENOISE, 25),
                                                                                      (JPEG, 10)))


FACTORIAL_ARCHS = (  # name, label, arch, overrides: the residual factor of the factorial
    ("wdsr", "WDSR", "wdsr", {}),
    ("wdsr_res2", "WDSR, residual x2", "wdsr", {"res_scale": 2.0}),
    ("scn", "SCN (4 levels)", "scn", {"num_scales": 4}),
    ("scn_zero_ends", "SCN, ends 'zero'", "scn", {"num_scales": 4, "ends": "zero"}),
)
FACTORIAL_BASE = FACTORIAL_ARCHS[0][0]  # the variant every cell of the factorial is compared with
START_SUFFIX = {"reference": "", "identity": "_id", "matched": "_matched"}
START_LABEL = {"reference": "reference init", "identity": "identity start", "matched": "matched residual"}


def start_variant(name: str, label: str, arch: str, overrides: dict[str, Any], start: str) -> Variant:
    """A variant of the factorial: an architecture (name, label, arch, overrides) under a start of STARTS."""
    return Variant(name + START_SUFFIX[start], f"{label}, {START_LABEL[start]}", arch, dict(overrides), start=start)


def _factorial(budget: Budget) -> tuple[Study, ...]:
    """{WDSR, WDSR-res2, SCN, SCN zero ends} x {reference init, identity start}, plus SCN whose finest level
    starts with WDSR's residual size (initial scale apart from step size). The reference-start cells are
    equal-budget's runs (same keys: trained once)."""
    variants = tuple(start_variant(*a, start) for start in ("reference", "identity") for a in FACTORIAL_ARCHS)
    variants += (start_variant(*FACTORIAL_ARCHS[2], "matched"),)
    claims = []
    for start in ("reference", "identity"):
        sfx, label = START_SUFFIX[start], START_LABEL[start]
        claims += [
            Claim(f"SCN beats WDSR ({label})", "scn" + sfx, "wdsr" + sfx),
            Claim(f"the fusion helps: SCN beats WDSR with a doubled residual ({label})", "scn" + sfx,
                  "wdsr_res2" + sfx),
            Claim(f"SCN with 'zero' ends beats WDSR ({label})", "scn_zero_ends" + sfx, "wdsr" + sfx),
            Claim(f"a doubled residual leaves WDSR unchanged ({label})", "wdsr_res2" + sfx, "wdsr" + sfx, same=True),
        ]
    for short, label in (("wdsr", "WDSR"), ("wdsr_res2", "WDSR-res2"), ("scn", "SCN"),
                         ("scn_zero_ends", "SCN zero ends")):
        claims.append(Claim(f"the identity start helps {label}", short + "_id", short))
    claims += [Claim("matched residual: SCN started at WDSR's residual size beats SCN", "scn_matched", "scn"),
               Claim("matched residual: SCN started at WDSR's residual size beats WDSR", "scn_matched", "wdsr"),
               Claim("matched residual: SCN started at WDSR's residual size equals WDSR", "scn_matched", "wdsr",
                     same=True),
               Claim("identity start: SCN equals WDSR with a doubled residual (the fusion adds nothing)", "scn_id",
                     "wdsr_res2_id", same=True)]
    return tuple(Study(task, setting, variants, tuple(claims)) for task, setting in ((SR, 2), (DENOISE, 25),
                                                                                       (JPEG, 10)))


# The start each architecture trains with past warm-up (`long`): the better of the factorial's two at the cpu
# budget on x2 and sigma 25 (docs/experiments.md, factorial): WDSR the reference init (x2 Set5 35.34 vs 35.13;
# sigma 25 equal), the three with a doubled finest-level residual the identity start (SCN +0.38 / +0.98 dB)
LONG_STARTS = {"wdsr": "reference", "wdsr_res2": "identity", "scn": "identity", "scn_zero_ends": "identity"}


def _long(budget: Budget) -> tuple[Study, ...]:
    """The factorial's four architectures, each with its better start, past warm-up (budget cpu-long)."""
    variants = tuple(start_variant(*a, LONG_STARTS[a[0]]) for a in FACTORIAL_ARCHS)
    name = {a[0]: v.name for a, v in zip(FACTORIAL_ARCHS, variants)}
    claims = (Claim("SCN beats WDSR", name["scn"], name["wdsr"]),
              Claim("the fusion helps: SCN beats WDSR with a doubled residual", name["scn"], name["wdsr_res2"]),
              Claim("SCN with 'zero' ends beats WDSR", name["scn_zero_ends"], name["wdsr"]))
    return tuple(Study(task, setting, variants, claims) for task, setting in ((SR, 2), (DENOISE, 25)))


def _pair(budget: Budget) -> tuple[Study, ...]:
    """SCN vs WDSR at x2 under both starts: for long runs (cpu-16x) and the paper's ablation size (paper-size)."""
    variants = tuple(start_variant(*a, start) for start in ("reference", "identity")
                     for a in (FACTORIAL_ARCHS[0], FACTORIAL_ARCHS[2]))
    claims = (Claim("SCN beats WDSR (reference init)", "scn", "wdsr"),
              Claim("SCN beats WDSR (identity start)", "scn_id", "wdsr_id"),
              Claim("SCN (identity start) beats WDSR (reference init): each one's better start at the cpu size",
                    "scn_id", "wdsr"),
              Claim("the identity start helps SCN", "scn_id", "scn"),
              Claim("the identity start helps WDSR", "wdsr_id", "wdsr"))
    return (Study(SR, 2, variants, claims),)


def _table5(budget: Budget) -> tuple[Study, ...]:
    variants = (
        Variant("baseline", "Baseline (single-scale)", "wdsr", paper=34.74),
        Variant("unshared", "Un-shared (a body per level, 1/4 the blocks)", "scn", {"shared": False},
                depth=0.25, paper=34.68),
        Variant("shared", "Shared (SCN)", "scn", paper=34.77),
        Variant("unshared_large", "Un-shared large (7/16 the blocks per level)", "scn", {"shared": False},
                depth=7 / 16, paper=34.77),
        # not in the paper: its un-shared rows have 1/4 and 7/16 of the shared depth (REFERENCE.md); half the
        # features at the full depth gives each of the 4 bodies 1/4 of the shared body's weights instead
        Variant("unshared_thin", "Un-shared at the shared depth, half the features", "scn", {"shared": False},
                breadth=0.5),
    )
    claims = (Claim("Shared beats the single-scale baseline", "shared", "baseline"),
              Claim("Shared beats un-shared at equal parameters", "shared", "unshared"),
              Claim("Un-shared needs more parameters to match shared", "unshared_large", "shared", same=True),
              Claim("Shared beats un-shared at equal parameters and equal depth", "shared", "unshared_thin"))
    return (Study(SR, 2, variants, claims),)


def _table4(budget: Budget) -> tuple[Study, ...]:
    variants = (
        Variant("unet", "U-Net style (2 levels)", "unet", {"num_scales": 2}, paper=34.56),
        Variant("pspnet", "PSPNet style (2 levels)", "pspnet", {"num_scales": 2}, paper=34.58),
        Variant("scn", "SCN (2 levels)", "scn", {"num_scales": 2}, paper=34.67),
    )
    claims = (Claim("SCN beats the U-Net style network", "scn", "unet"),
              Claim("SCN beats the PSPNet style network", "scn", "pspnet"))
    return (Study(SR, 2, variants, claims),)


def _table6(budget: Budget) -> tuple[Study, ...]:
    variants = (
        Variant("conv", "strided conv / deconv", "scn", {"resampler": "conv"}, paper=34.77),
        Variant("avgpool", "avg-pool / nearest", "scn", {"resampler": "avgpool"}, paper=34.78),
        Variant("bilinear", "bilinear / bilinear", "scn", {"resampler": "bilinear"}, paper=34.80),
    )
    claims = (Claim("Bilinear resampling beats avg-pool / nearest", "bilinear", "avgpool"),
              Claim("Bilinear resampling beats strided conv / deconv", "bilinear", "conv"))
    return (Study(SR, 2, variants, claims),)


RATIOS = {"1/2": 0.5, "2/3": 2 / 3, "3/4": 0.75}
EVAL_RATIOS = (0.5, 0.6, 2 / 3, 0.75, 0.8)


def ratio_name(ratio: float) -> str:
    for name, value in RATIOS.items():
        if abs(value - ratio) < 1e-6:
            return name
    return f"{ratio:.2f}"


def fig6_name(ratio: str, levels: int) -> str:
    return "levels1" if levels == 1 else f"r{ratio.replace('/', '_')}_levels{levels}"


def _fig6(budget: Budget, figure: int = 6) -> tuple[Study, ...]:
    """Ratio 1/2, 2/3, 3/4 x 1..max_levels; 1 level is the single-scale baseline, common to every ratio. For
    Figs. 7 and 8 each multi-level model is also evaluated at depths 1..eval_levels and at EVAL_RATIOS."""
    evals = figure != 6
    variants = [Variant("levels1", "single-scale", "wdsr", paper=34.74)]
    for ratio_label, ratio in RATIOS.items():
        for levels in range(2, budget.max_levels + 1):
            extra: dict[str, tuple[int | None, float | None]] = {}
            if evals:
                extra.update({f"levels{d}": (d, None) for d in range(1, budget.eval_levels + 1) if d != levels})
                extra.update({f"ratio{r:.3f}": (None, r) for r in EVAL_RATIOS if abs(r - ratio) > 1e-6})
            variants.append(Variant(fig6_name(ratio_label, levels), f"ratio {ratio_label}, {levels} levels", "scn",
                                    {"num_scales": levels, "ratio": round(ratio, 6)}, evals=extra))
    top = budget.max_levels
    few, many = fig6_name("2/3", 2), fig6_name("2/3", top)
    claims = {
        6: (Claim("Multi-scale (ratio 2/3, 3 levels) beats single-scale", fig6_name("2/3", 3), "levels1"),
            Claim("Ratio 2/3 beats ratio 1/2 (3 levels)", fig6_name("2/3", 3), fig6_name("1/2", 3)),
            Claim("Ratio 2/3 beats ratio 3/4 (3 levels)", fig6_name("2/3", 3), fig6_name("3/4", 3))),
        7: (Claim("Trained with 2 levels (ratio 2/3): evaluating with 3 loses", few, few, worse_eval="levels3"),
            Claim(f"Trained with {top} levels (ratio 2/3): evaluating with {top + 1} gains", many, many,
                  better_eval=f"levels{top + 1}")),
        8: (Claim("Trained at ratio 2/3 (3 levels): evaluating at 1/2 loses", fig6_name("2/3", 3),
                  fig6_name("2/3", 3), worse_eval="ratio0.500"),
            Claim("Trained at ratio 2/3 (3 levels): evaluating at 3/4 loses", fig6_name("2/3", 3),
                  fig6_name("2/3", 3), worse_eval="ratio0.750")),
    }[figure]
    return (Study(SR, 2, tuple(variants), claims),)


EXPERIMENTS: dict[str, Experiment] = {e.name: e for e in (
    Experiment("equal-budget", "SCN vs WDSR at equal parameters: equal steps and equal wall-clock, with controls",
               "the paper's Tables 1-3 (SCN beats WDSR-era networks at full size)", _equal_budget),
    Experiment("factorial", "Start x residual: {WDSR, WDSR-res2, SCN, SCN zero ends} x {reference init, identity "
               "start}, and SCN with a matched residual", "none (the paper trains from the reference init)",
               _factorial, budgets=("cpu", "gpu", "paper-size")),
    Experiment("long", "Past warm-up: the factorial's four networks with their better start, 4x the steps",
               "the paper's Tables 1-2 (full-length training)", _long, budgets=("cpu-long",)),
    Experiment("pair", "SCN vs WDSR under both starts: 16x the steps, or the paper's ablation size",
               "the paper's Table 5 baseline and shared rows (34.74 / 34.77, x2, DIV2K validation)", _pair,
               budgets=("cpu-16x", "paper-size")),
    Experiment("table5", "Table 5: sharing weights across levels", "Table 5 (x2 SR, DIV2K validation)", _table5),
    Experiment("table4", "Table 4: multi-scale structures", "Table 4 (x2 SR, DIV2K validation)", _table4),
    Experiment("table6", "Table 6: resampling in the scale-wise convolution", "Table 6 (x2 SR, DIV2K validation)",
               _table6),
    Experiment("fig6", "Figure 6: number of levels and level ratio", "Figure 6 (x2 SR; single-scale 34.74)",
               _fig6, plot="levels"),
    Experiment("fig7", "Figure 7: evaluating at another number of levels (Fig. 6's models)",
               "Figure 7 (no numbers in the text)", lambda b: _fig6(b, 7), plot="eval_levels"),
    Experiment("fig8", "Figure 8: evaluating at another level ratio (Fig. 6's models)",
               "Figure 8 (no numbers in the text)", lambda b: _fig6(b, 8), plot="eval_ratios"),
)}


def _pick(table: dict[str, Any], name: str, what: str, also: str = "") -> Any:
    if name in table:
        return table[name]
    raise ConfigError(f"unknown {what} {name!r}; {did_you_mean(name, table)}choose one of {', '.join(table)}{also}")


def get_experiment(name: str) -> Experiment:
    return _pick(EXPERIMENTS, name, "experiment", " (or all)")


def get_budget(name: str) -> Budget:
    return _pick(BUDGETS, name, "budget")
