"""int8 (or bf16) against fp32 for every shipped model: PSNR on its dev sets (`scn benchmark --precision fp32
int8`, the path `scn restore --precision int8` takes) and the time and peak memory of the big restores, side by
side in one run (each restore in a fresh process, fp32 then int8, one thread each; the int8 file made and cached
before). `--precision bf16` measures bf16 autocast the same way (no marks: it is the user's choice).

    .venv/bin/python benchmarks/int8.py quality [--marks]   # resumable (runs/int8_quality.json keeps done models)
    .venv/bin/python benchmarks/int8.py speed [--repeats 2]
    .venv/bin/python benchmarks/int8.py quality speed --precision bf16 [--models scn_denoise_rgb.sigma ...]
    .venv/bin/python benchmarks/int8.py variants      # what to quantize: the choices tried on scn_small_x2.bicubic

Needs ../shared (or $SCN_SHARED) for the test sets; prints markdown tables for docs/speed.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# shipped model -> (task, settings, data sets, --color)
DEV_SETS: dict[str, tuple[str, list[int], list[str], bool]] = {
    "scn_small_x2.bicubic": ("sr", [2], ["Set5", "Set14"], False),
    "scn_small_x3.bicubic": ("sr", [3], ["Set5", "Set14"], False),
    "scn_small_x4.bicubic": ("sr", [4], ["Set5", "Set14"], False),
    "scn_small_denoise.blind": ("denoise", [15, 25, 50], ["Set12"], False),
    "scn_small_denoise.s25": ("denoise", [25], ["Set12"], False),
    "scn_small_jpeg.blind": ("jpeg", [10, 20, 30, 40], ["Classic5"], False),
    "scn_small_jpeg.q10": ("jpeg", [10], ["Classic5"], False),
    "scn_small_denoise_rgb.blind": ("denoise", [15, 25, 50], ["Kodak24"], True),
    "scn_small_denoise_rgb.s25": ("denoise", [25], ["Kodak24"], True),
    "scn_denoise_rgb.s25": ("denoise", [25], ["Kodak24"], True),
    "scn_denoise_rgb.sigma": ("denoise", [15, 25, 50], ["Kodak24"], True),
    "scn_small_jpeg_rgb.blind": ("jpeg", [10, 20, 30, 40], ["Kodak24"], True),
    "scn_small_jpeg_rgb.q10": ("jpeg", [10], ["Kodak24"], True),
    "scn_jpeg_rgb.blind": ("jpeg", [10, 20, 30, 40], ["Kodak24"], True),
    "scn_jpeg_rgb.q10": ("jpeg", [10], ["Kodak24"], True),
}
SETTING_FLAG = {"sr": "--scale", "denoise": "--sigma", "jpeg": "--quality"}


def cpu_model() -> str:
    out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    fields = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
    flags = [f for f in ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8") if f in fields.get("Flags", "")]
    return f"{fields.get('Model name', platform.processor()).strip()} ({' '.join(flags)})"


def quality(out: Path, marks: bool = False, precision: str = "int8", models: list[str] | None = None) -> None:
    """Every shipped model (or `models`) on its dev sets in fp32 and `precision`; `marks`: write
    scn/weights/int8.json (the models whose int8 loss on a dev set is above the limit are restored in fp32)."""
    from scn.inference.int8 import LOSS_LIMIT_DB, MARKS_FILE
    from scn.tasks import get_task

    done = json.loads(out.read_text()) if out.is_file() else {}
    for name, (task, settings, sets, color) in DEV_SETS.items():
        if name in done or (models and name not in models):
            continue
        rows_file = out.with_suffix(f".{name}.json")
        command = [sys.executable, "-m", "scn", "benchmark", "--task", task, SETTING_FLAG[task],
                   *map(str, settings), "--data", *sets, "--method", name, "--precision", "fp32", precision,
                   "--no-progress", "--json", str(rows_file), *(["--color"] if color else [])]
        print(" ".join(command[2:]), flush=True)
        subprocess.run(command, check=True, cwd=ROOT)
        rows = json.loads(rows_file.read_text())["rows"]
        done[name] = [{k: r[k] for k in ("method", "dataset", "setting", "psnr", "ssim", "seconds")} for r in rows]
        out.write_text(json.dumps(done, indent=1))
        rows_file.unlink()
    print(f"| model | set | setting | fp32 | {precision} | {precision} - fp32 |")
    print("|---|---|---:|---:|---:|---:|")
    worst: dict[str, tuple[float, str]] = {}
    for name, rows in done.items():
        task = DEV_SETS[name][0]
        for r in (r for r in rows if "@" not in r["method"]):
            q = next(x for x in rows if x["method"] == r["method"] + f"@{precision}" and x["dataset"] == r["dataset"]
                     and x["setting"] == r["setting"])
            loss = r["psnr"] - q["psnr"]
            where = f"{r['dataset']} {get_task(task).label(r['setting'])}"
            worst[name] = max(worst.get(name, (-1e9, "")), (loss, where))
            print(f"| {name} | {r['dataset']} | {r['setting']} | {r['psnr']:.2f} | {q['psnr']:.2f} | "
                  f"{q['psnr'] - r['psnr']:+.3f} |")
    if marks:
        table = {"limit_db": LOSS_LIMIT_DB, "measured_by": "benchmarks/int8.py quality",
                 "int8": {n: {"loss_db": round(w[0], 4), "on": w[1]} for n, w in worst.items() if w[0] <= LOSS_LIMIT_DB},
                 "fp32_only": {n: {"loss_db": round(w[0], 4), "on": w[1]} for n, w in worst.items()
                               if w[0] > LOSS_LIMIT_DB}}
        MARKS_FILE.write_text(json.dumps(table, indent=1, ensure_ascii=False) + "\n")
        print(f"wrote {MARKS_FILE}")


CHILD = """
import resource, sys, time, numpy as np, torch, warnings
from scn.inference.engine import Restorer
from scn.inference.images import Picture
from scn.resolve import DEFAULT, resolve
from scn.tasks import get_task
warnings.simplefilter("ignore")
torch.set_num_threads(1)
task, level, h, w, precision = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
model = resolve(DEFAULT, task, level, channels=3).load()  # the model scn restore takes for a colour photo
print(model.shipped_name)
model.shipped_name = None  # its int8 speed, even where weights/int8.json keeps it in fp32 for quality
image = np.random.RandomState(0).rand(h, w, 3).astype(np.float32)
restorer = Restorer.at_precision(model, precision, noise_level=get_task(task).level_input(level))
restorer.restore(Picture(image[:64, :64]))  # loaded (and quantized) first
start = time.perf_counter()
restorer.restore(Picture(image))
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def speed(repeats: int, precision: str = "int8") -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "ORT_NUM_THREADS": "1"}
    print(f"CPU: {cpu_model()}; one thread; {time.strftime('%Y-%m-%d')}")
    p = precision
    print(f"| restore | fp32 s | {p} s | fp32 / {p} | peak RSS fp32 / {p} (MB) |")
    print("|---|---:|---:|---:|---:|")
    for label, args in [("2000x1500 -> 4000x3000, SR x2", ["sr", "2", "1500", "2000"]),
                        ("1000x750 colour denoise, sigma 25", ["denoise", "25", "750", "1000"])]:
        best: dict[str, tuple[float, float]] = {}
        if p == "int8":  # quantized (and cached) first: not timed, not measured
            subprocess.run([sys.executable, "-c", CHILD, args[0], args[1], "64", "64", p], capture_output=True,
                           check=True, cwd=ROOT, env=env)
        for _ in range(repeats):
            for precision in ("fp32", p):
                lines = subprocess.run([sys.executable, "-c", CHILD, *args, precision], capture_output=True,
                                       text=True, check=True, cwd=ROOT, env=env).stdout.split("\n")
                name, (seconds, rss) = lines[-3], map(float, lines[-2].split())
                old = best.get(precision, (float("inf"), 0.0))
                best[precision] = (min(old[0], seconds), max(old[1], rss))
        (f, fm), (q, qm) = best["fp32"], best[p]
        print(f"| {label} ({name}) | {f:.1f} | {q:.1f} | {f / q:.2f} | {fm:.0f} / {qm:.0f} |", flush=True)


VARIANTS = [("every op", [], False), ("every op, ends in float", [], True),
            ("convs only, ends in float", ["Conv"], True), ("convs and ReLUs, ends in float (chosen)", None, True)]


def variants() -> None:
    """scn_small_x2.bicubic quantized each way: Set5 / Set14 PSNR (the benchmark's protocol) and one 500x375
    inference, one thread, fp32 (ONNX Runtime) first."""
    import tempfile

    import numpy as np
    import onnxruntime as ort
    import torch

    import scn
    from scn.evaluation import load_test_set, run_benchmark
    from scn.evaluation.methods import Method
    from scn.inference.engine import Restorer, onnx_forward
    from scn.inference.export import export_onnx
    from scn.inference.images import Picture
    from scn.inference.int8 import quantize

    torch.set_num_threads(1)
    model = scn.resolve("scn_small_x2.bicubic").load()
    folder = Path(tempfile.mkdtemp(prefix="scn-int8-variants-"))
    files = {"fp32 (ONNX Runtime)": export_onnx(model, folder / "fp32.onnx")}
    for i, (label, ops, ends) in enumerate(VARIANTS):
        files[label] = quantize(model, folder / f"v{i}.onnx", ops=ops, float_ends=ends)

    class OnnxMethod(Method):
        def __init__(self, label: str, path: Path) -> None:
            self.label, self.tasks = label, ("sr",)
            self.restorer = Restorer(config=model.config, forward=onnx_forward(path), tile=0)

        def restore(self, degraded: np.ndarray, task: str, setting: int) -> np.ndarray:
            x = degraded.astype(np.float32) / (255.0 if degraded.dtype == np.uint8 else 1.0)
            return self.restorer.restore(Picture(x)).color.astype(np.float64)

    sets = [load_test_set(Path(os.environ.get("SCN_SHARED", ROOT.parent / "shared")) / "datasets/test" / name,
                          scn.get_task("sr")) for name in ("Set5", "Set14")]
    rows = run_benchmark([OnnxMethod(k, v) for k, v in files.items()], sets, scn.get_task("sr"), [2], progress=False)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    x = np.random.RandomState(0).rand(1, 3, 375, 500).astype(np.float32)
    print(f"CPU: {cpu_model()}; one thread; {time.strftime('%Y-%m-%d')}")
    print("| quantized | Set5 | Set14 | 500x375 x2, s | speed-up |")
    print("|---|---:|---:|---:|---:|")
    base = None
    for label, path in files.items():
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        session.run(None, {"image": x})
        times = []
        for _ in range(3):
            start = time.perf_counter()
            session.run(None, {"image": x})
            times.append(time.perf_counter() - start)
        base = base or min(times)
        psnrs = [next(r.psnr for r in rows if r.method == label and r.dataset == d) for d in ("Set5", "Set14")]
        print(f"| {label} | {psnrs[0]:.3f} | {psnrs[1]:.3f} | {min(times):.2f} | {base / min(times):.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", nargs="+", choices=("quality", "speed", "variants"))
    parser.add_argument("--precision", choices=("int8", "bf16"), default="int8", help="against fp32")
    parser.add_argument("--models", nargs="+", default=None, help="quality: these shipped models only")
    parser.add_argument("--out", type=Path, default=None, help="quality: default runs/PRECISION_quality.json")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--marks", action="store_true", help="quality: write scn/weights/int8.json from the results")
    args = parser.parse_args()
    if args.marks and args.precision != "int8":
        parser.error("--marks writes the int8 marks; it needs --precision int8")
    for what in args.what:
        if what == "quality":
            quality(args.out or ROOT / "runs" / f"{args.precision}_quality.json", args.marks, args.precision,
                    args.models)
        elif what == "speed":
            speed(args.repeats, args.precision)
        else:
            variants()


if __name__ == "__main__":
    main()
