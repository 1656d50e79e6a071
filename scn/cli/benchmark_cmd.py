"""`scn benchmark`: methods side by side on test sets under the field's protocols."""

from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path
from typing import Any

import torch

from ..errors import ScnError
from ..evaluation import load_test_set, make_method, run_benchmark
from ..evaluation.methods import Method, NetworkMethod, OptionalMissing
from ..evaluation.runner import Row, load_test_files, test_set_folder
from ..evaluation.report import format_counts, format_levels, format_table, picture_counts, read_rows, write_csv, write_json
from ..inference.int8 import check_precision
from ..tasks import TASKS, Task, get_task
from ..training.config import HOLDOUT, holdout_files, load_config
from ..version import __version__


def add_parser(sub: Any) -> None:
    p = sub.add_parser("benchmark", help="score methods on test sets under the field's protocols",
                       description="Score methods side by side on folders of clean images "
                                   "(SR: Y PSNR/SSIM, border=scale; denoise/jpeg: gray, or RGB with --color; no "
                                   "crop).")
    p.add_argument("--task", choices=tuple(TASKS), required=True, help="the task to score (required)")
    for task in TASKS.values():  # one flag per task's setting: --scale, --sigma, --quality
        p.add_argument(task.flag, type=int, nargs="+", help=f"{task.name}: the {task.setting}(s) to score at")
    p.add_argument("--data", nargs="+", default=[], metavar="DIR",
                   help="folders of clean images, or set names found in ../shared/datasets/test (Set5, Set14, ...)")
    p.add_argument("--holdout-of", metavar="CONFIG",
                   help="also score the pictures a training config holds out for validation (its data.holdout), "
                        "as the set 'holdout': the numbers that choose stages, with no folder to make")
    p.add_argument("--method", nargs="+", default=[], metavar="M",
                   help="bicubic, bicubic-rgb, identity, bm3d, dncnn:W, arcnn:W, imdn:W, a checkpoint, scn, or a "
                        "shipped model (`scn models --pretrained`); none with --rows-from: a table of saved rows")
    p.add_argument("--color", action="store_true",
                   help="denoise / jpeg: degrade and score the colour images (noise on every RGB value, colour "
                        "JPEG 4:2:0; RGB PSNR); gray models then restore the luma, as scn restore does")
    p.add_argument("--clip", action="store_true",
                   help="denoise: clip the noisy pictures to [0, 255] and round them to 8 bits, as a noisy photo "
                        "file holds them (the tables' protocol, the default, leaves the noise unclipped)")
    p.add_argument("--estimated-sigma", action="store_true",
                   help="denoise: also score each model told the noise level (a conditioned denoiser) estimating "
                        "it from each picture, as scn restore does without --sigma (column NAME~est; the levels "
                        "fed are printed and in the JSON)")
    p.add_argument("--ensemble", action="store_true", help="x8 self-ensemble for networks (the paper's SCN+)")
    p.add_argument("--precision", nargs="+", default=["fp32"], metavar="P",
                   help="fp32, bf16 and / or int8: score models of the family in each (rows labelled @bf16, "
                        "@int8: the restore path's autocast and quantized model)")
    p.add_argument("--rows-from", nargs="+", default=[], metavar="FILE",
                   help="add the rows earlier --json runs wrote (same task, --color and --clip) for the sets and "
                        "settings scored here: a slow method (bm3d) is scored once")
    p.add_argument("--versus", metavar="M",
                   help="count, per set and setting, the pictures on which each method scores a higher PSNR than "
                        "method M (a label in the table)")
    p.add_argument("--json", metavar="FILE", help="write rows with per-image numbers as JSON")
    p.add_argument("--csv", metavar="FILE", help="write per-set rows as CSV")
    p.add_argument("--save-images", metavar="DIR", help="write every output as DIR/method/set/setting/name.png")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--no-progress", action="store_true", help="no progress bar, nor its log lines")
    p.set_defaults(run=run)


def settings_for(args: argparse.Namespace, task: Task) -> list[int]:
    flag = task.setting
    for other in {t.setting for t in TASKS.values()} - {flag}:
        if getattr(args, other):
            raise ScnError(f"--{other} does not apply to --task {task}; use --{flag}")
    values = getattr(args, flag)
    if not values:
        raise ScnError(f"--task {task} needs --{flag} (one or more values)")
    return list(dict.fromkeys(int(task.check(v)) for v in values))  # type: ignore[arg-type]


def with_estimating_twins(methods: list[Method], task: Task, settings: list[int]) -> list[Method]:
    """`methods`, each model told the noise level followed by its twin estimating the level (`--estimated-sigma`)."""
    if not task.adds_noise:
        raise ScnError(f"--estimated-sigma applies to --task denoise (a noise level to estimate), not {task}")
    out: list[Method] = []
    for m in methods:
        out.append(m)
        twin = m.estimating() if isinstance(m, NetworkMethod) and m.family else None
        if twin is not None and any(twin.told_level(s) for s in settings):
            out.append(twin)
    if len(out) == len(methods):
        print("scn benchmark: --estimated-sigma: no method is told the noise level; nothing to add", file=sys.stderr)
    return out


def added_rows(earlier: list[tuple[str, list[Row]]], cells: set[tuple[str, int]], labels: set[str]) -> list[Row]:
    """The rows of earlier runs on `cells` (the sets and settings asked), for methods not scored now (`labels`)."""
    added: dict[tuple[str, str, int], Row] = {}
    for path, rows in earlier:
        kept = [r for r in rows if (r.dataset, r.setting) in cells]
        if not kept:
            print(f"scn benchmark: {path} has no rows for the sets and settings scored here", file=sys.stderr)
        for r in kept:
            key = (r.method, r.dataset, r.setting)
            if key in added and added[key].images == r.images:
                continue  # the same row saved again (a file that had added it)
            if r.method in labels or key in added:
                raise ScnError(f"--rows-from {path}: {r.method} on {r.dataset} at {r.task.label(r.setting)} is "
                               f"scored twice; give each method once")
            added[key] = r
    return list(added.values())


def held_out_pictures(config_path: str) -> list[Path]:
    """The pictures a training config keeps out of training for validation (data.holdout)."""
    files = holdout_files(load_config(config_path))
    if not files:
        raise ScnError(f"--holdout-of {config_path}: the config holds no pictures out (its data.holdout is empty)")
    return files


def run(args: argparse.Namespace) -> int:
    task = get_task(args.task)
    settings = settings_for(args, task)
    if args.color and task.channels == 3:
        raise ScnError(f"--color: task {task.name!r} is scored on colour images already (drop --color)")
    if args.clip and not task.adds_noise:
        raise ScnError(f"--clip applies to --task denoise (noise clipped to 8 bits), not {task}")
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        raise ScnError("--device cuda asked for but no CUDA device is available; use --device cpu")
    channels = 3 if args.color else None
    if not args.data and not args.holdout_of:
        raise ScnError("give --data DIR... (folders or set names) or --holdout-of CONFIG")
    scoring = bool(args.method)  # else a table of saved rows: sets are only names
    held = held_out_pictures(args.holdout_of) if args.holdout_of and scoring else []
    folders = [test_set_folder(d) if scoring else Path(d) for d in args.data]
    for spec, folder in zip(args.data, folders):
        if str(folder) != spec:
            print(f"scn benchmark: {spec}: {folder}", file=sys.stderr)
    precisions = list(dict.fromkeys(check_precision(p, args.device) for p in args.precision))
    methods = []
    for spec in args.method:
        for precision in precisions:
            try:
                method = make_method(spec, task, args.ensemble, args.device, channels, args.clip)
            except OptionalMissing as e:
                print(f"scn benchmark: skipping {spec}: {e}", file=sys.stderr)
                break
            if precision != "fp32":
                if not (isinstance(method, NetworkMethod) and method.family):
                    continue  # bf16 and int8 apply to the models of the family; the others are scored once
                method.precision, method.label = precision, f"{method.label}@{precision}"
            methods.append(method)
    if not methods and not args.rows_from:
        raise ScnError("no method left to score" if args.method else
                       "give --method M... (or --rows-from FILE... for a table of rows saved by --json)")
    if args.estimated_sigma:
        methods = with_estimating_twins(methods, task, settings)
    labels = [m.label for m in methods]
    if len(set(labels)) != len(labels):
        raise ScnError(f"two methods share a label ({', '.join(labels)}); give each method once")
    protocol = {"task": task.name, "color": args.color, "clip": args.clip}
    earlier = [(path, read_rows(path, protocol)) for path in args.rows_from]  # unreadable files fail before work
    known = labels + [r.method for _, rows in earlier for r in rows]
    if args.versus and args.versus not in known:
        raise ScnError(f"--versus {args.versus}: no such method among the rows ({', '.join(dict.fromkeys(known))})")
    names = [folder.resolve().name if scoring else folder.name for folder in folders]  # as load_test_set does
    names += [HOLDOUT] if args.holdout_of else []
    if len(set(names)) != len(names):
        raise ScnError(f"two --data folders share a name ({', '.join(names)}); sets are named by folder")
    rows = []
    if methods:
        test_sets = [load_test_set(d, task, channels) for d in folders]
        test_sets += [load_test_files(held, HOLDOUT, task, channels)] if held else []
        rows = run_benchmark(methods, test_sets, task, settings, args.save_images, not args.no_progress,
                             clip_noise=args.clip)
    rows += added_rows(earlier, {(n, s) for n in names for s in settings}, set(labels))
    if not rows:
        raise ScnError("--rows-from: none of the rows are for the sets and settings asked")
    if args.clip:
        print("noise clipped and rounded to 8 bits (--clip)")
    print(format_table(rows))
    levels = format_levels(rows)
    if levels:
        print(levels)
    counts = picture_counts(rows, args.versus) if args.versus else []
    if counts:
        print(format_counts(counts, rows))
    resolved = {m.label: {task.label(s): name for s, name in m.resolved.items()}
                for m in methods if isinstance(m, NetworkMethod) and m.resolved}
    for label, names in resolved.items():
        if set(names.values()) != {label.split("@")[0].removesuffix("+").removesuffix("~est")}:
            print(f"{label}: " + ", ".join(f"{name} at {setting}" for setting, name in names.items()))
    meta = {"scn_version": __version__, "torch": torch.__version__, "python": platform.python_version(),
            "task": task.name, "color": args.color, "clip": args.clip, "ensemble": args.ensemble,
            "estimated_sigma": args.estimated_sigma, "holdout_of": args.holdout_of,
            "precision": precisions, "methods": args.method, "rows_from": args.rows_from,
            "resolved": resolved, "picture_counts": [c.to_dict() for c in counts]}
    if args.json:
        write_json(rows, args.json, meta)
    if args.csv:
        write_csv(rows, args.csv)
    return 0
