"""Apply a training stage's rule (written in its config before it ran) to a colour denoiser's candidates: which
one, if any, replaces the shipped model. For the colour denoiser told its noise level (issue 34's stages):

    .venv/bin/python scripts/holdout_view.py configs/zoo/denoise_rgb_sigma_stage12.yaml /tmp/holdout_vivid \\
        --scale 0.5 --saturation 2
    .venv/bin/python scripts/stage_verdict.py --incumbent scn_denoise_rgb.sigma \\
        --candidate stage16=runs/zoo_denoise_rgb_sigma_stage16/final.safetensors --mean \\
        --view /tmp/holdout_vivid --gain-at 15 --min-gain 0.05 \\
        --holdout-of configs/zoo/denoise_rgb_sigma_stage8.yaml --max-drop 0.02 --continue-drop 0.03 \\
        --json /tmp/stage16_verdict.json

It scores the incumbent and each candidate (with --mean also each candidate's weight mean with the incumbent) in
one `scn benchmark --task denoise --color` run (unclipped noise; --clip for the 8-bit protocol) at --sigma on the
view (the held-out pictures scaled and saturated) and on the held-out pictures as they are. A candidate passes
when its view PSNR at sigma --gain-at rises by --min-gain dB or more and no held-out cell falls by more than
--max-drop dB; of those that pass, the largest view gain is chosen; with none, --continue-drop says where the next
link starts. No test set is read: they come after the choice.

With --keep-rows FILE the benchmark's rows stay in FILE (and the weights each label scored in FILE.weights.json),
and a later run skips every method FILE already scored from the same weights: a candidate can be judged as soon as
its run ends, and the next (a soup of two runs) scores only what is new.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch

import scn
from scn.atomic import atomic_write
from scn.cli.main import main as scn_main
from scn.evaluation.report import read_rows

sys.path.insert(0, str(Path(__file__).resolve().parent))
from average_weights import average  # noqa: E402

HELD_OUT = "holdout"  # the set name `scn benchmark --holdout-of` scores the held-out pictures as

Scores = dict[str, dict[tuple[str, int], float]]  # method -> (set, sigma) -> PSNR


@dataclass
class Judgement:
    label: str
    view_gain: float
    worst_drop: float  # the largest fall of a held-out cell (negative: every cell rose)
    passes: bool


def judge(scores: Scores, incumbent: str, view: str, gain_at: int, min_gain: float, max_drop: float
          ) -> tuple[list[Judgement], str | None]:
    """Each candidate against the incumbent under the rule, and the chosen one (None: the incumbent stays)."""
    base = scores[incumbent]
    held = [cell for cell in base if cell[0] == HELD_OUT]
    if (view, gain_at) not in base or not held:
        raise scn.ScnError(f"the scores hold no {view} at sigma {gain_at} or no held-out cell")
    judged = []
    for label, cells in scores.items():
        if label == incumbent:
            continue
        gain = cells[(view, gain_at)] - base[(view, gain_at)]
        drop = max(base[c] - cells[c] for c in held)
        judged.append(Judgement(label, gain, drop, gain >= min_gain - 1e-9 and drop <= max_drop + 1e-9))
    return judged, largest_view_gain([j for j in judged if j.passes])


def largest_view_gain(judged: list[Judgement]) -> str | None:
    """The label of the judgement with the largest view gain; None for none."""
    return max(judged, key=lambda j: j.view_gain).label if judged else None


def next_start(judged: list[Judgement], candidates: list[str], incumbent: str, continue_drop: float) -> str:
    """Where the next link starts when none is chosen (the stages' second rule): of `candidates` (the runs' own
    weights or their soups, not means with the incumbent) whose view gain is above zero with no held-out cell down
    by more than `continue_drop`, the one with the largest view gain; else the incumbent."""
    eligible = [j for j in judged
                if j.label in candidates and j.view_gain > 0 and j.worst_drop <= continue_drop + 1e-9]
    return largest_view_gain(eligible) or incumbent


def table(scores: Scores, incumbent: str) -> str:
    """PSNR per method and cell, and each candidate's difference from the incumbent."""
    cells = sorted(scores[incumbent], key=lambda c: (c[0] == HELD_OUT, c))
    width, cell = max(len(m) for m in scores) + 2, max(9, *(len(s) + 2 for s, _ in cells))
    lines = [" " * width + "".join(f"{s:>{cell}}" for s, _ in cells),
             " " * width + "".join(f"{'σ' + str(v):>{cell}}" for _, v in cells)]
    for method, got in scores.items():
        lines.append(f"{method:<{width}}" + "".join(f"{got[c]:{cell}.3f}" for c in cells))
        if method != incumbent:
            lines.append(f"{'  - incumbent':<{width}}" + "".join(f"{got[c] - scores[incumbent][c]:+{cell}.3f}"
                                                                  for c in cells))
    return "\n".join(lines)


def weights_digest(model: torch.nn.Module) -> str:
    """sha256 of a model's tensors (names, dtypes, shapes and values): the same weights, whatever file held them."""
    h = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        t = tensor.detach().cpu().contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.view(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def already_scored(keep: Path, digests: dict[str, str], cells: set[tuple[str, int]], clip: bool) -> set[str]:
    """The labels `keep` (rows a --keep-rows run left) holds from the same weights on every cell; ScnError where it
    scored a label from other weights, or only some of the cells."""
    if not keep.exists():
        return set()
    sources = kept_sources(keep)
    held: dict[str, set[tuple[str, int]]] = {}
    for row in read_rows(keep, colour_denoise(clip)):
        held.setdefault(row.method, set()).add((row.dataset, row.setting))
    done = set()
    for label, digest in digests.items():
        if label not in held:
            continue
        if sources.get(label) != digest:
            raise scn.ScnError(f"--keep-rows {keep}: {label} was scored from other (or unrecorded) weights; give "
                               "another file or another label")
        if not cells <= held[label]:
            raise scn.ScnError(f"--keep-rows {keep}: {label} lacks some of these sigmas or sets; give another file")
        done.add(label)
    return done


def keep_sources(keep: Path) -> Path:
    """Where --keep-rows records the weights' sha256 behind each label it scored."""
    return keep.with_name(keep.name + ".weights.json")


def kept_sources(keep: Path) -> dict[str, str]:
    """The sha256 of the weights behind each label `keep` scored (none yet: empty)."""
    return json.loads(keep_sources(keep).read_text()) if keep_sources(keep).exists() else {}


def colour_denoise(clip: bool) -> dict:
    """The protocol of every row a verdict reads: colour denoising, noise clipped or not."""
    return {"task": "denoise", "color": True, "clip": clip}


def score(methods: list[str], args: argparse.Namespace, json_path: Path, earlier: Path | None = None) -> Scores:
    """One `scn benchmark` run over the view and the held-out pictures (adding the rows of `earlier`, a file an
    earlier run wrote); PSNR by method and cell."""
    argv = ["benchmark", "--task", "denoise", "--color", "--sigma", *map(str, args.sigma), "--data", args.view,
            "--holdout-of", args.holdout_of, "--json", str(json_path), "--no-progress"]
    argv += ["--method", *methods] if methods else []
    argv += ["--rows-from", str(earlier)] if earlier is not None else []
    if scn_main(argv + (["--clip"] if args.clip else [])) != 0:
        raise scn.ScnError("scn benchmark failed (its message is above)")
    scores: Scores = {}
    for row in read_rows(json_path, colour_denoise(args.clip)):
        scores.setdefault(row.method, {})[(row.dataset, row.setting)] = row.psnr
    return scores


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--incumbent", required=True, help="the shipped model (a name or weights file)")
    ap.add_argument("--candidate", action="append", required=True, metavar="[LABEL=]WEIGHTS",
                    help="a candidate's weights (repeat for more); LABEL names it in the table (default: file stem)")
    ap.add_argument("--mean", action="store_true", help="also each candidate's weight mean with the incumbent")
    ap.add_argument("--view", required=True, help="the folder scripts/holdout_view.py wrote")
    ap.add_argument("--holdout-of", required=True, metavar="CONFIG", help="a config whose data.holdout to score")
    ap.add_argument("--sigma", type=int, nargs="+", default=[15, 25, 50])
    ap.add_argument("--gain-at", type=int, required=True, help="the sigma whose view PSNR must rise")
    ap.add_argument("--min-gain", type=float, required=True, help="by this many dB or more")
    ap.add_argument("--max-drop", type=float, required=True, help="the most any held-out cell may fall, dB")
    ap.add_argument("--continue-drop", type=float, metavar="D",
                    help="when none is chosen, say where the next link starts: of the candidates' own weights whose "
                         "view gain is above zero with no held-out cell down by more than D dB, the largest view "
                         "gain; else the incumbent")
    ap.add_argument("--clip", action="store_true", help="the 8-bit noise protocol (clipped, rounded)")
    ap.add_argument("--json", metavar="FILE", help="write the scores, the judgements and the choice")
    ap.add_argument("--keep-rows", metavar="FILE", type=Path,
                    help="keep the benchmark's rows in FILE and skip the methods it already scored from the same "
                         "weights (judge each run as it ends, then only the new candidates)")
    args = ap.parse_args()
    view = Path(args.view).name
    try:
        with tempfile.TemporaryDirectory(prefix="scn-verdict-") as tmp:
            shipped = scn.resolve(args.incumbent)
            incumbent = shipped.label
            models: dict[str, tuple[str, torch.nn.Module]] = {incumbent: (args.incumbent, shipped.load())}
            own = []
            for spec in args.candidate:
                label, _, weights = spec.rpartition("=")
                label = label or Path(weights).stem
                own.append(label)
                models[label] = (weights, scn.resolve(weights).load())
                if args.mean:
                    models[f"{label}_mean"] = (f"mean of {args.incumbent} and {weights}",
                                               average([args.incumbent, weights]))
            if len(models) != 1 + len(args.candidate) * (2 if args.mean else 1):
                raise scn.ScnError("two candidates share a label; name each (LABEL=WEIGHTS)")
            digests = {label: weights_digest(model) for label, (_, model) in models.items()}
            cells = {(name, sigma) for name in (view, HELD_OUT) for sigma in args.sigma}
            done = already_scored(args.keep_rows, digests, cells, args.clip) if args.keep_rows else set()
            methods = [args.incumbent if label == incumbent else
                       str(scn.save_model(model, Path(tmp) / f"{label}.safetensors", notes=f"candidate {source}"))
                       for label, (source, model) in models.items() if label not in done]
            rows = args.keep_rows or Path(tmp) / "rows.json"
            earlier = rows if args.keep_rows and rows.exists() else None
            scores = score(methods, args, rows, earlier)
            scores = {label: scores[label] for label in models}  # a kept file may hold other labels too
            if args.keep_rows:
                text = json.dumps({**kept_sources(rows), **digests}, indent=1) + "\n"
                atomic_write(keep_sources(rows), lambda out: Path(out).write_text(text))
        judged, chosen = judge(scores, incumbent, view, args.gain_at, args.min_gain, args.max_drop)
    except scn.ScnError as e:
        print(f"stage_verdict: error: {e}", file=sys.stderr)
        return 2
    print(table(scores, incumbent))
    for j in judged:
        print(f"{j.label}: view σ{args.gain_at} {j.view_gain:+.3f} dB (needs {args.min_gain:+.3f}), largest held-out "
              f"fall {j.worst_drop:+.3f} dB (at most {args.max_drop:.3f}): {'passes' if j.passes else 'fails'}")
    print(f"chosen: {chosen}" if chosen else f"chosen: none; {incumbent} stays")
    start = None
    if chosen is None and args.continue_drop is not None:
        start = next_start(judged, own, incumbent, args.continue_drop)
        print(f"next link starts from: {start}")
    if args.json:
        result = json.dumps({
            "incumbent": incumbent, "view": view, "clip": args.clip,
            "rule": {"gain_at": args.gain_at, "min_gain": args.min_gain, "max_drop": args.max_drop},
            "scores": {m: {f"{s}@{v}": p for (s, v), p in cells.items()} for m, cells in scores.items()},
            "judged": [j.__dict__ for j in judged], "chosen": chosen, "next_start": start}, indent=1)
        atomic_write(args.json, lambda tmp: Path(tmp).write_text(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
