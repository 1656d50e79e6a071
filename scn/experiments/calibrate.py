"""Equal wall-clock: the steps a network gets to train as long as another, from their measured step times."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from ..archs import build
from ..atomic import atomic_write
from ..training.loop import adam
from .catalog import Budget
from .layout import CALIBRATION_FILE
from .plan import Unit


# -- equal wall-clock --------------------------------------------------------------------------------------------
def step_seconds(unit: Unit, budget: Budget, device: str, steps: int = 8, warmup: int = 3) -> float:
    """Seconds per training step of `unit`'s network at the budget's batch and patch (forward, L1, backward,
    fused Adam), on random data, with the budget's threads."""
    config = unit.model_config()
    task = config.task
    threads = torch.get_num_threads()
    torch.set_num_threads(budget.threads)
    try:
        torch.manual_seed(0)
        model = build(config).to(device).to(memory_format=torch.channels_last)
        opt = adam(model.parameters(), lr=1e-4)
        scale = task.model_scale(unit.setting)
        x = torch.rand(budget.batch, config.in_channels, budget.patch, budget.patch, device=device)
        y = torch.rand(budget.batch, config.channels, budget.patch * scale, budget.patch * scale, device=device)
        x = x.contiguous(memory_format=torch.channels_last)
        for i in range(warmup + steps):
            if i == warmup:
                if device.startswith("cuda"):
                    torch.cuda.synchronize()
                start = time.perf_counter()
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=device.startswith("cuda")):
                loss = F.l1_loss(model(x).float(), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        return (time.perf_counter() - start) / steps
    finally:
        torch.set_num_threads(threads)


def equal_time_steps(units: list[Unit], budget: Budget, out: Path, device: str) -> None:
    """Give every unit with `time_of` the steps that take as long as its matched run's, from step times
    measured once per pair of networks (kept in calibration.json, so a resumed suite uses the same ones)."""
    path = out / CALIBRATION_FILE
    known: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    by_key = {u.key: u for u in units}
    for unit in units:
        if unit.time_of is None or unit.steps is not None:
            continue
        matched = by_key[unit.time_of]
        pair = f"{matched.model_name}:{json.dumps(matched.overrides, sort_keys=True)} vs " \
               f"{unit.model_name}:{json.dumps(unit.overrides, sort_keys=True)}"
        if pair not in known:
            known[pair] = {"matched_s": step_seconds(matched, budget, device),
                           "this_s": step_seconds(unit, budget, device)}
            atomic_write(path, lambda tmp: Path(tmp).write_text(json.dumps(known, indent=1)))
        times = known[pair]
        unit.steps = max(1, round(int(matched.steps or budget.steps) * times["matched_s"] / times["this_s"]))
