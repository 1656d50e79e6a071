"""SCN vs. WDSR at equal parameters, side by side: train step, inference, and ops per step, on CPU or CUDA.

    .venv/bin/python benchmarks/speed_ratio.py [--device cpu|cuda] [--no-compile] [--json out.json]

Rows (each for SCN and WDSR, then their ratio):
- train step: batch 32 of 48x48 LR patches (x2), L1, Adam as `scn train` builds it, channels_last; fp32, and
  bf16 autocast on CUDA; eager and (unless --no-compile) torch.compile;
- inference: 1x3x540x960 -> x2 on CUDA, 1x3x256x256 on the CPU; fp32 (and bf16 on CUDA); eager and compiled;
- aten ops per train step (forward + backward + Adam, batch 4 of 48x48), counted at dispatch on the CPU, for each
  SCN operator (packed: what accelerators run; literal: what the CPU runs); CUDA kernels per step on CUDA.

Times are medians over --repeats runs after warm-up, SCN and WDSR called in turn; the ratio is the median of
the per-round ratios (each SCN run over the WDSR run beside it, so that drift of a shared machine cancels), with
their quartiles. It also runs on checkouts from before the fast operator
(for before/after tables): what they lack is skipped. Not a test: numbers depend on the machine (docs/speed.md).
"""

from __future__ import annotations

import argparse
import collections
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch.utils._python_dispatch import TorchDispatchMode

import scn

try:  # inference as `scn restore` runs it; older checkouts: the model as built
    from scn.layers.conv import inference_copy
except ImportError:  # pragma: no cover - older checkouts
    def inference_copy(model: torch.nn.Module, device: str) -> torch.nn.Module:
        return model.eval()

try:  # the training loop's optimizer (fused Adam); plain Adam on older checkouts
    from scn.training.loop import adam
except ImportError:  # pragma: no cover - older checkouts
    def adam(params: Any, **options: Any) -> torch.optim.Adam:
        return torch.optim.Adam(params, **options)


class OpCounter(TorchDispatchMode):
    """Counts every aten op that reaches dispatch (views included)."""

    def __init__(self) -> None:
        super().__init__()
        self.ops: collections.Counter[str] = collections.Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        self.ops[str(func)] += 1
        return func(*args, **(kwargs or {}))


def make_model(name: str, align_corners: bool, operator: str | None, device: str,
               layout: str | None = None) -> torch.nn.Module:
    overrides = {"align_corners": align_corners} if name.startswith("scn") else {}
    model = scn.create_model(name, **overrides)
    if operator is not None:
        if not hasattr(model, "operator"):
            raise RuntimeError("this checkout has no choice of operator")
        model.operator, model.layout = operator, layout
    return model.to(device).to(memory_format=torch.channels_last)


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def paired_times(fns: list[Callable[[], Any]], device: str, warmup: int, repeats: int) -> list[list[float]]:
    """Seconds of each run of each function, the functions called in turn (a, b, a, b, ...) so that drift of the
    machine (clock, memory, other load) hits them alike: round r of every function is element r."""
    for fn in fns:
        for _ in range(warmup):
            fn()
    sync(device)
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for fn, record in zip(fns, times):
            start = time.perf_counter()
            fn()
            sync(device)
            record.append(time.perf_counter() - start)
    return times


def round_ratios(scn_times: list[float], wdsr_times: list[float]) -> tuple[float, float, float]:
    """Median and quartiles of the per-round ratios SCN / WDSR."""
    ratios = sorted(a / b for a, b in zip(scn_times, wdsr_times))
    if len(ratios) < 2:
        return ratios[0], ratios[0], ratios[0]
    q1, q2, q3 = statistics.quantiles(ratios, n=4, method="inclusive")
    return q2, q1, q3


def train_step_fn(model: torch.nn.Module, batch: int, device: str, bf16: bool,
                  compiled: bool) -> Callable[[], None]:
    torch.manual_seed(0)
    scale = model.config.scale
    x = torch.rand(batch, 3, 48, 48, device=device).to(memory_format=torch.channels_last)
    y = torch.rand(batch, 3, 48 * scale, 48 * scale, device=device)
    opt = adam(model.parameters(), lr=1e-4)
    net = torch.compile(model) if compiled else model

    def step() -> None:
        with torch.autocast(device.split(":")[0], dtype=torch.bfloat16, enabled=bf16):
            loss = F.l1_loss(net(x).float(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step


def infer_fn(model: torch.nn.Module, size: tuple[int, int], device: str, bf16: bool,
             compiled: bool) -> Callable[[], None]:
    model = inference_copy(model, device)  # as `scn restore` runs it: weight norm folded, channels_last
    x = torch.rand(1, 3, *size, device=device).to(memory_format=torch.channels_last)
    net = torch.compile(model) if compiled else model

    def run() -> None:
        with torch.inference_mode(), torch.autocast(device.split(":")[0], dtype=torch.bfloat16, enabled=bf16):
            net(x)

    return run


def count_ops(model: torch.nn.Module) -> int:
    step = train_step_fn(model, 4, "cpu", False, False)
    step()
    with OpCounter() as counter:
        step()
    return sum(counter.ops.values())


def count_kernels(model: torch.nn.Module, device: str, bf16: bool) -> int:
    step = train_step_fn(model, 32, device, bf16, False)
    step()
    sync(device)
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CUDA]) as prof:
        step()
        sync(device)
    return sum(1 for e in prof.events() if e.device_type == torch.autograd.DeviceType.CUDA)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--models", nargs=2, default=["scn_x2", "wdsr_x2"], metavar=("SCN", "WDSR"))
    ap.add_argument("--align-corners", action="store_true", help="SCN with align_corners=True (the reference's)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2, help="CPU threads")
    ap.add_argument("--no-compile", action="store_true")
    ap.add_argument("--operators", nargs="+", choices=["literal", "packed", "auto"],
                    help="SCN operators to time (default: both, the device's default first)")
    ap.add_argument("--skip", nargs="*", default=[], choices=["train", "infer", "ops"])
    ap.add_argument("--json", help="also write the rows here")
    args = ap.parse_args()
    device = args.device
    cuda = device.startswith("cuda")
    torch.set_num_threads(args.threads)
    if hasattr(scn, "keep_freed_memory"):
        scn.keep_freed_memory()
    if cuda:
        torch.backends.cudnn.benchmark = True
    scn_name, wdsr_name = args.models
    ac = args.align_corners
    scn_operators: list[str | None] = [None]  # checkouts from before the choice of operator
    if hasattr(scn.create_model(scn_name), "operator"):
        scn_operators = args.operators or (["packed", "literal"] if cuda else ["literal", "packed"])
    print(f"torch {torch.__version__}, device {device}"
          + (f" ({torch.cuda.get_device_name()})" if cuda else f", {args.threads} threads")
          + f", {scn_name} (align_corners={ac}) vs {wdsr_name}, median of {args.repeats}")
    print(f"params: {scn_name} {scn.count_params(scn.create_model(scn_name)):,}, "
          f"{wdsr_name} {scn.count_params(scn.create_model(wdsr_name)):,}")
    rows: list[dict[str, Any]] = []

    def report(what: str, scn_value: float, wdsr_value: float, unit: str, operator: str | None,
               ratio: tuple[float, float, float] | None = None) -> None:
        """One row; `ratio`: (median, q1, q3) of per-round ratios for times, else the ratio of the two values."""
        row = {"what": what, "operator": operator or "-", "scn": scn_value, "wdsr": wdsr_value,
               "ratio": ratio[0] if ratio else scn_value / wdsr_value, "unit": unit}
        spread = ""
        if ratio:
            row["ratio_q1"], row["ratio_q3"] = ratio[1], ratio[2]
            spread = f"  (quartiles {ratio[1]:.2f}-{ratio[2]:.2f})"
        rows.append(row)
        print(f"{what:<44} {row['operator']:<8} {scn_value:>10.1f} {wdsr_value:>10.1f} {row['ratio']:>6.2f}  {unit}"
              + spread, flush=True)

    print(f"{'row':<44} {'operator':<8} {'SCN':>10} {'WDSR':>10} {'ratio':>6}")
    precisions = [False, True] if cuda else [False]
    compiles = [False] if args.no_compile else [False, True]
    def compare(label: str, make: Callable[[torch.nn.Module], Callable[[], None]]) -> None:
        fns = [make(make_model(wdsr_name, ac, None, device))]
        fns += [make(make_model(scn_name, ac, op, device)) for op in scn_operators]
        wdsr_t, *scn_ts = paired_times(fns, device, args.warmup, args.repeats)
        for op, scn_t in zip(scn_operators, scn_ts):
            report(label, statistics.median(scn_t) * 1e3, statistics.median(wdsr_t) * 1e3, "ms", op,
                   round_ratios(scn_t, wdsr_t))

    if "train" not in args.skip:
        for bf16 in precisions:
            for compiled in compiles:
                compare(f"train step b32 48x48 {'bf16' if bf16 else 'fp32'} {'compiled' if compiled else 'eager'}",
                        lambda m: train_step_fn(m, 32, device, bf16, compiled))
    if "infer" not in args.skip:
        size = (540, 960) if cuda else (256, 256)
        for bf16 in precisions:
            for compiled in compiles:
                compare(f"inference {size[0]}x{size[1]} x2 {'bf16' if bf16 else 'fp32'} "
                        f"{'compiled' if compiled else 'eager'}", lambda m: infer_fn(m, size, device, bf16, compiled))
    if "ops" not in args.skip:
        wdsr_ops = count_ops(make_model(wdsr_name, ac, None, "cpu"))
        for op in scn_operators:  # the packed operator as accelerators run it: one canvas
            report("aten ops / train step (b4 48x48, CPU)",
                   count_ops(make_model(scn_name, ac, op, "cpu", "one" if op == "packed" else None)),
                   wdsr_ops, "ops", op)
        if cuda:
            for bf16 in precisions:
                wdsr_k = count_kernels(make_model(wdsr_name, ac, None, device), device, bf16)
                for op in scn_operators:
                    report(f"CUDA kernels / train step (b32, {'bf16' if bf16 else 'fp32'})",
                           count_kernels(make_model(scn_name, ac, op, device), device, bf16), wdsr_k, "kernels", op)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"torch": torch.__version__, "device": device, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
