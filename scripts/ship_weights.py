"""Put a trained run's weights into the package's model zoo: fp16 safetensors, sha256, manifest entry, and the
run's config, log and curves under docs/zoo/NAME/.

    .venv/bin/python scripts/ship_weights.py RUN_DIR NAME --task sr --scale 2 \\
        --training-data "T91 + BSD200" --hardware "2 CPU cores" --dev-psnr Set5=36.1 Set14=32.0 [--not-default] \\
        [--earlier STAGE1_DIR ...]

`--earlier` names the runs this one continued from (train.init); their steps and hours are added and their
config, log and curves kept as stage1_*, stage2_*, ...  `--entry` names the manifest entry when it differs from the
file's NAME (a new stage of a shipped model: its entry is updated in place, its aliases kept).
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
from pathlib import Path

import scn
from scn.training.config import load_config
from scn.training.loop import raw_weights
from scn.zoo import WEIGHTS_DIR, sha256_of

ROOT = Path(__file__).resolve().parents[1]


def training_seconds(rows: list[dict[str, str]]) -> float:
    """A log's training time. Logs written before `seconds` counted across resumes restart at each resume: add
    the last value of every such segment."""
    total, last = 0.0, 0.0
    for row in rows:
        if not row["seconds"]:
            continue
        value = float(row["seconds"])
        if value < last:
            total += last
        last = value
    return total + last


def trained_on_clipped_noise(run: Path) -> bool:
    """Whether the run clipped and rounded every noisy patch as 8-bit files hold it (data.clipped_fraction 1)."""
    config = run / "config.yaml"
    return config.exists() and load_config(config).data.clipped_fraction == 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("name")
    ap.add_argument("--task", choices=("sr", "denoise", "jpeg"), required=True)
    ap.add_argument("--scale", type=int, default=1)
    ap.add_argument("--sigma", type=float, nargs=2)
    ap.add_argument("--quality", type=int, nargs=2)
    ap.add_argument("--training-data", required=True)
    ap.add_argument("--hardware", required=True)
    ap.add_argument("--dev-psnr", nargs="*", default=[], metavar="SET=DB")
    ap.add_argument("--weights", default="final.safetensors")
    ap.add_argument("--raw", action="store_true",
                    help="ship the raw weights of checkpoint.pt, not the EMA (better after short fine-tunes, where "
                         "the EMA still holds part of the new layers' random start)")
    ap.add_argument("--not-default", action="store_true")
    ap.add_argument("--earlier", type=Path, nargs="*", default=[], metavar="RUN_DIR")
    ap.add_argument("--entry", help="manifest entry name (default: NAME)")
    args = ap.parse_args()

    model = raw_weights(args.run) if args.raw else scn.load_model(args.run / args.weights)
    steps, seconds = 0, 0.0
    for run in [*args.earlier, args.run]:
        rows = list(csv.DictReader((run / "log.csv").open()))
        steps, seconds = steps + int(rows[-1]["step"]), seconds + training_seconds(rows)
    stages = [(f"stage{i + 1}_", run) for i, run in enumerate(args.earlier)]
    prefix = f"stage{len(stages) + 1}_" if stages else ""
    docs = ROOT / "docs" / "zoo" / args.name
    notes = (f"{args.name}: {args.task}; trained {steps} steps in {seconds / 3600:.2f} h on {args.hardware}; "
             f"data {args.training_data}; config {(docs / f'{prefix}config.yaml').relative_to(ROOT)}")
    entry_name = args.entry or args.name
    target = WEIGHTS_DIR / f"{entry_name}.safetensors"  # files are named after their models
    scn.save_model(model, target, half=True, notes=notes)
    entry = {"name": entry_name, "task": args.task, "file": target.name, "sha256": sha256_of(target),
             "default": not args.not_default, "training_data": args.training_data, "steps": steps,
             "dev_psnr": {k: float(v) for k, v in (item.split("=") for item in args.dev_psnr)},
             "notes": f"{seconds / 3600:.2f} h on {args.hardware}"}
    if args.task == "sr":
        entry["scale"] = model.config.scale
    if args.sigma:
        entry["sigma"] = list(args.sigma)
    if args.quality:
        entry["quality"] = list(args.quality)
    if model.config.noise_map:
        entry["told_level"] = True  # a denoiser told its noise level (zoo.Pretrained.told_level)
    if trained_on_clipped_noise(args.run):
        entry["clipped_noise"] = True  # zoo.Pretrained.clipped_noise: chosen for stored pictures
    manifest_path = WEIGHTS_DIR / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    models = manifest["models"]
    old = next((i for i, m in enumerate(models) if m["name"] == entry_name), None)
    if old is None:
        models.append(entry)
    else:
        former = [f for f in [*models[old].get("former_files", []), models[old]["file"]] if f != target.name]
        aliases = models[old].get("aliases", [])
        models[old] = {"name": entry_name, **({"aliases": aliases} if aliases else {}), **entry,
                       **({"former_files": former} if former else {})}
    manifest_path.write_text(json.dumps(manifest, indent=1) + "\n")
    docs.mkdir(parents=True, exist_ok=True)
    for stage_prefix, run in [*stages, (prefix, args.run)]:
        for name in ("config.yaml", "log.csv", "curves.png"):
            if (run / name).exists():
                shutil.copy(run / name, docs / f"{stage_prefix}{name}")
    print(f"shipped {target} ({target.stat().st_size / 1e6:.2f} MB, sha256 {entry['sha256'][:16]}...)")


if __name__ == "__main__":
    main()
