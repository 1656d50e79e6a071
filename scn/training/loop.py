"""The training loop of `scn train`: resumable, logged, optionally distributed (torchrun) and time-budgeted."""

from __future__ import annotations

import copy
import csv
import json
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
import yaml
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader

from ..allocator import keep_freed_memory
from ..archs import RestorationNet, build
from ..checkpoint import load_model, save_model
from ..evaluation.methods import NetworkMethod, make_method
from ..evaluation.runner import load_test_files, load_test_set, run_benchmark
from ..progress import Progress
from ..config import get_config
from ..cpu import fit_threads
from ..resolve import resolve
from .checkpointing import (TrainError, atomic_write, load_latest_state, load_state, previous_path, save_state,
                            write_error)
from .config import HOLDOUT, TrainConfig, holdout_files
from .data import PatchDataset, StepBatchSampler, load_training_images
from .plot import plot_curves
from .schedule import lr_factor
from .signals import StopRequest, ignore_stop_signals
from .starts import (adds_noise_map, bicubic_skip, changes_noise_map_gain, colour_from_gray, colour_start_config,
                     lifts_to_colour, match_residual, noise_map_from_blind, noise_map_regained, zero_blocks,
                     zero_tail)

LOSS_FUNCTIONS = {"l1": F.l1_loss, "l2": F.mse_loss}
LOG_FIELDS = ["step", "epoch", "loss", "lr", "val_psnr", "val_baseline_psnr", "seconds"]
STATE_FILE = "checkpoint.pt"
LOG_FILE = "log.csv"  # a row of LOG_FIELDS every log_every steps
FINAL_FILE = "final.safetensors"  # the weights a finished run ends with


@dataclass(frozen=True)
class RunSummary:
    """What a run folder says of its training, for readers outside the Trainer: the step and seconds of its last
    checkpoint, and its final weights (None until it finished)."""

    steps: int
    seconds: float
    final: Path | None

    @staticmethod
    def started(folder: str | Path) -> bool:
        """Whether `folder` holds a checkpoint to resume from."""
        return (Path(folder) / STATE_FILE).exists()

    @classmethod
    def of(cls, folder: str | Path) -> "RunSummary | None":
        """The summary of `folder`; None when it holds no checkpoint yet."""
        folder = Path(folder)
        if not cls.started(folder):
            return None
        state = load_state(folder / STATE_FILE)
        final = folder / FINAL_FILE
        return cls(int(state["step"]), float(state["seconds"]), final if final.exists() else None)
OPEN_ENDED = 2**62  # the sampler's end for a budgeted run, which stops itself (fit_budget sets total_steps)


def planned_total(step: int, seconds_left: float, seconds_per_step: float) -> int:
    """The total steps a budgeted run plans at `step`: as many more as fit in the time left (at least one)."""
    return step + max(1, int(seconds_left / seconds_per_step))


@dataclass
class DistInfo:
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0


def init_distributed(device: str) -> DistInfo:
    """Join the process group torchrun set up (WORLD_SIZE > 1): nccl on CUDA, gloo on the CPU."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistInfo()
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.startswith("cuda") else "gloo")
    return DistInfo(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")))


class EMA:
    """Exponential moving average of the parameters (buffers copied)."""

    def __init__(self, model: nn.Module, decay: float) -> None:
        self.decay = decay
        self.shadow = copy.deepcopy(model).eval()
        for p in self.shadow.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        for s, p in zip(self.shadow.parameters(), model.parameters()):
            s.lerp_(p.detach(), 1.0 - self.decay)
        for s, b in zip(self.shadow.buffers(), model.buffers()):
            s.copy_(b)


def raw_weights(run: str | Path) -> RestorationNet:
    """A run's raw (non-EMA) weights at its last checkpoint, in the architecture of its final weights file. After
    short fine-tunes they can beat the EMA, which still holds part of the new layers' random start."""
    run = Path(run)
    model = load_model(run / FINAL_FILE)
    model.load_state_dict(load_state(run / STATE_FILE)["model"])
    return model


def init_from(model: RestorationNet, init: str | Path | RestorationNet) -> list[str]:
    """Copy every weight of `init` (a loaded model, or anything `scn.resolve` takes: a checkpoint path, a shipped
    name) whose name and shape fit `model` (e.g. an x2 body into x3); a gray restoration model into a colour one
    comes with its head and tail lifted to RGB (`colour_from_gray`: the colour model starts as the luma route), and
    a denoiser into one with a noise-level input with a zero weight on the map (`noise_map_from_blind`), and one with
    another gain on that map with its weight rescaled (`noise_map_regained`). Returns the
    names of `model`'s weights not loaded."""
    source = init if isinstance(init, RestorationNet) else resolve(init).load()
    target = model.state_dict()
    fitting = {k: v for k, v in source.state_dict().items() if k in target and target[k].shape == v.shape}
    target.update(fitting)
    model.load_state_dict(target)
    missing = set(target) - set(fitting)
    if lifts_to_colour(source.config, model.config):
        colour_from_gray(source, model)
        missing -= {k for k in target if k.startswith(("head.", "tail."))}
    if adds_noise_map(source.config, model.config):
        noise_map_from_blind(source, model)
        missing -= {k for k in target if k.startswith("head.")}
    if changes_noise_map_gain(source.config, model.config):
        noise_map_regained(source, model)
    return sorted(missing)


def adam(params: Any, **options: Any) -> torch.optim.Adam:
    """Adam with one fused kernel for every parameter (torch >= 2.4 on CPU and CUDA), else the multi-tensor one:
    per-parameter loops cost ten small ops per tensor and step."""
    params = list(params)
    try:
        return torch.optim.Adam(params, fused=True, **options)
    except (RuntimeError, TypeError):
        return torch.optim.Adam(params, foreach=True, **options)


class Trainer:
    def __init__(self, config: TrainConfig, out_dir: str | Path, resume: bool = False, device: str | None = None,
                 time_budget_s: float = 0.0, progress: bool = True) -> None:
        self.config, self.out = config, Path(out_dir)
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.dist = init_distributed(self.device)
        if self.device.startswith("cuda") and self.dist.world > 1:
            self.device = f"cuda:{self.dist.local_rank}"
            torch.cuda.set_device(self.device)
        self.cuda = self.device.startswith("cuda")
        self.resume, self.time_budget_s, self.progress = resume, time_budget_s, progress
        t = config.train
        if t.threads > 0:
            threads, note = fit_threads(t.threads)
            if note and self.dist.main:
                print(f"scn train: {note}", file=sys.stderr)
            torch.set_num_threads(threads)
        if t.deterministic:
            torch.use_deterministic_algorithms(True)
            if self.cuda:
                os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.manual_seed(t.seed)
        self.model_config = get_config(config.model.name, **config.model.overrides)
        init = resolve(t.init).load() if t.init else None  # a shipped name is checked against its sha256
        if init is not None:  # a colour model started from a gray one takes the image mean that makes the start exact
            self.model_config = colour_start_config(self.model_config, init.config)
        self.model = build(self.model_config)
        loaded: set[str] = set()  # the weights train.init set: zero_blocks and zero_tail keep them
        if init is not None and not resume:
            loaded = set(self.model.state_dict()) - set(init_from(self.model, init))
        if t.zero_blocks and not resume:
            zero_blocks(self.model, keep=loaded)
        if t.zero_tail and not resume:
            zero_tail(self.model, keep=loaded)
        if t.bicubic_skip and not resume:
            bicubic_skip(self.model)
        self.memory_format = torch.channels_last if t.channels_last else torch.contiguous_format
        self.model.to(self.device).to(memory_format=self.memory_format)
        self.ema = EMA(self.model, t.ema) if t.ema > 0 else None
        if not self.cuda:
            keep_freed_memory()
        self.optimizer = adam(self.model.parameters(), lr=t.lr, betas=tuple(t.betas), weight_decay=t.weight_decay)
        self.images = load_training_images(config)
        self.dataset = PatchDataset(config, self.images)
        probe = StepBatchSampler(len(self.dataset), config.data.batch_size, t.seed, 0, 1, 0, self.dist.world)
        self.steps_per_epoch = probe.steps_per_epoch
        if t.match_residual and not resume:  # measured on the first step's batch (every process the same)
            x = torch.stack([self.dataset[key][0] for key in probe.batch_at(0)]).to(self.device)
            self.residual_factors = match_residual(self.model, x)
        self.total_steps = t.steps if t.steps > 0 else max(1, math.ceil(t.epochs * self.steps_per_epoch))
        self.step = 0
        self.best_psnr = -math.inf
        self.seconds_before = 0.0  # training time of earlier invocations (a resumed run's log keeps counting)
        self.started: float | None = None
        self.stop_signal: int | None = None  # the signal that stopped the run early (it checkpointed first)
        self.wrapped: nn.Module = self.model
        if self.dist.world > 1:
            self.wrapped = nn.parallel.DistributedDataParallel(
                self.model, device_ids=[self.dist.local_rank] if self.cuda else None,
                find_unused_parameters=True)  # the last blocks' downward taps never reach the output
        task, channels = self.model_config.task, self.model_config.channels
        self.val_sets = [load_test_files(holdout_files(config), HOLDOUT, task, channels)
                         if d == HOLDOUT else load_test_set(d, task, channels)
                         for d in config.data.val] if self.dist.main else []
        if config.data.val_max_images > 0:
            for vs in self.val_sets:
                vs.images = vs.images[: config.data.val_max_images]
        self.writer = None

    # -- state -------------------------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        return {"step": self.step, "model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                "ema": self.ema.shadow.state_dict() if self.ema else None, "best_psnr": self.best_psnr,
                "total_steps": self.total_steps, "torch_rng": torch.get_rng_state(), "seconds": self.seconds(),
                "config": json.dumps(self.config.to_dict())}

    def load(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.ema and state.get("ema") is not None:
            self.ema.shadow.load_state_dict(state["ema"])
        self.step, self.best_psnr = int(state["step"]), float(state["best_psnr"])
        self.total_steps = int(state.get("total_steps", self.total_steps))
        self.seconds_before = float(state.get("seconds", 0.0))
        torch.set_rng_state(state["torch_rng"])

    def seconds(self) -> float:
        """Wall-clock training time so far, over every invocation of the run."""
        return self.seconds_before + (time.perf_counter() - self.started if self.started is not None else 0.0)

    def lr_at(self, step: int) -> float:
        return self.config.train.lr * lr_factor(self.config.train.schedule, step / self.total_steps)

    # -- outputs -----------------------------------------------------------------------------------------------
    def weights_model(self) -> RestorationNet:
        return self.ema.shadow if self.ema else self.model  # type: ignore[return-value]

    def save_weights(self, name: str) -> Path:
        notes = (f"{self.config.notes} | trained {self.step} steps by scn train; "
                 f"config {json.dumps(self.config.to_dict(), sort_keys=True)}")
        path = self.out / name
        try:
            return save_model(self.weights_model(), path, notes=notes)  # itself atomic
        except OSError as e:
            raise write_error(path, e) from None

    def checkpoint(self) -> None:
        save_state(self.state(), self.out / STATE_FILE)
        self.save_weights("last.safetensors")

    def log(self, row: dict[str, Any]) -> None:
        path = self.out / LOG_FILE
        new = not path.exists()
        with path.open("a", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=LOG_FIELDS)
            if new:
                writer.writeheader()
            writer.writerow({k: row.get(k, "") for k in LOG_FIELDS})
        if self.writer is not None:
            for key in ("loss", "lr", "val_psnr", "val_baseline_psnr"):
                if row.get(key) not in (None, ""):
                    self.writer.add_scalar(key, float(row[key]), int(row["step"]))

    def truncate_log(self) -> None:
        """After a resume, drop log rows written after the checkpoint (they will be written again)."""
        path = self.out / LOG_FILE
        if path.exists():
            rows = [r for r in csv.DictReader(path.open()) if int(r["step"]) <= self.step]
            text = ",".join(LOG_FIELDS) + "\n" + "".join(",".join(r[k] for k in LOG_FIELDS) + "\n" for r in rows)
            atomic_write(path, lambda tmp: Path(tmp).write_text(text))

    def validate(self) -> tuple[float, float]:
        c = self.config
        model = self.weights_model()
        model.eval()
        task = c.restoration_task
        setting = c.val_setting  # SR: the scale
        baseline = make_method(task.baseline, task)
        methods = [NetworkMethod("model", (task.name,), lambda s: model, device=self.device), baseline]
        rows = run_benchmark(methods, self.val_sets, task, [setting], progress=False, clip_noise=c.data.val_clipped)
        self.model.train()
        mean = lambda label: sum(r.psnr for r in rows if r.method == label) / max(1, len(self.val_sets))  # noqa: E731
        return mean("model"), mean(baseline.label)

    # -- the loop ----------------------------------------------------------------------------------------------
    def run(self) -> Path:
        c, t = self.config, self.config.train
        if self.dist.main:
            self.out.mkdir(parents=True, exist_ok=True)
            (self.out / "config.yaml").write_text(yaml.safe_dump(c.to_dict(), sort_keys=False))
            try:
                from torch.utils.tensorboard import SummaryWriter

                self.writer = SummaryWriter(str(self.out / "tb"))
            except (ImportError, ModuleNotFoundError):
                self.writer = None
        state_path = self.out / STATE_FILE
        if self.resume:
            if not state_path.exists() and not previous_path(state_path).exists():
                raise TrainError(f"resume asked for, but there is no {STATE_FILE} in {self.out}; start a new run instead")
            state, note = load_latest_state(state_path)
            if note and self.dist.main:
                print(f"scn train: {note}", file=sys.stderr)
            planned = self.total_steps
            self.load(state)
            if self.time_budget_s > 0:
                self.plan_resumed_budget()
            elif planned != self.total_steps and self.dist.main:
                print(f"scn train: the run keeps the length it started with, {self.total_steps:,} steps, and its "
                      f"schedule; the config now asks {planned:,} (start a new run, with train.init, for another "
                      "length)", file=sys.stderr)
            if self.dist.main:
                self.truncate_log()
        elif self.dist.main and state_path.exists():
            raise TrainError(f"{self.out} holds a run already; resume it (--resume) or choose another output folder")
        if self.step >= self.total_steps:
            return self.finish()
        # a budgeted run's total moves as its speed is measured (fit_budget): its batches must not end at the first plan
        sampler = StepBatchSampler(len(self.dataset), c.data.batch_size, t.seed, self.step,
                                   OPEN_ENDED if self.time_budget_s > 0 else self.total_steps,
                                   self.dist.rank, self.dist.world)
        loader = DataLoader(self.dataset, batch_sampler=sampler, num_workers=c.data.workers,
                            pin_memory=self.cuda, worker_init_fn=ignore_stop_signals if c.data.workers > 0 else None)
        bar = Progress(self.total_steps, "train", "steps", enabled=self.progress and self.dist.main,
                       initial=self.step)
        self.model.train()
        self.started, start_step = time.perf_counter(), self.step
        running, count = 0.0, 0
        amp = t.amp if self.cuda else t.cpu_amp
        stopped: int | None = None  # the signal every process agreed to stop on
        with StopRequest() as stop:
            for x, y in loader:
                lr = self.lr_at(self.step)
                running += self.train_step(x, y, lr, amp)
                count += 1
                self.step += 1
                bar.update(1)
                logged = self.step % t.log_every == 0 or self.step == self.total_steps
                if logged:
                    bar.set_postfix(loss=f"{running / count:.4f}", lr=f"{lr:.2e}")
                if self.dist.main:
                    self.record(running / count if logged else None, lr, bar)
                if logged:
                    running, count = 0.0, 0
                stopped = self.stop_agreed(stop)
                if stopped is not None:  # SIGTERM / Ctrl-C: keep this step's work, then leave
                    break
                if self.time_budget_s > 0:
                    self.fit_budget(start_step)
                if self.step >= self.total_steps:
                    break
            bar.close()
            if stopped is not None:  # still inside StopRequest: under torchrun a process may learn of the stop
                # from the all-reduce before its own copy of the signal lands, which must not kill it mid-barrier
                self.stop_signal = stopped
                if self.dist.main:
                    self.checkpoint()
                if self.dist.world > 1:
                    dist.barrier()  # every process leaves once the checkpoint is on disk
                return self.out / STATE_FILE
        return self.finish()

    def stop_agreed(self, stop: StopRequest) -> int | None:
        """The signal to stop on after this step (None: go on): a TERM / INT received here or, under torchrun (which
        passes a signal on to every process), by any process, so that all leave after the same step and rank 0's
        checkpoint holds it. Only the reduced value counts: a signal landing here after the all-reduce waits for the
        next step's, or one process would leave while the other went on into a collective alone."""
        if self.dist.world == 1:
            return stop.received
        flag = torch.tensor([stop.received or 0], device=self.device)
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)  # the signal any process received (0: none)
        return int(flag.item()) or None

    def train_step(self, x: torch.Tensor, y: torch.Tensor, lr: float, amp: bool) -> float:
        """One optimiser step (and EMA update) on a batch, under bf16 autocast where `amp`; returns its loss."""
        x = x.to(self.device, non_blocking=True)
        y = y.to(self.device, non_blocking=True)
        x, y = x.contiguous(memory_format=self.memory_format), y.contiguous(memory_format=self.memory_format)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        with torch.autocast("cuda" if self.cuda else "cpu", dtype=torch.bfloat16, enabled=amp):
            loss = LOSS_FUNCTIONS[self.config.train.loss](self.wrapped(x).float(), y)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.config.train.grad_clip > 0:
            nn.utils.clip_grad_norm_(self.model.parameters(), self.config.train.grad_clip)
        self.optimizer.step()
        if self.ema:
            self.ema.update(self.model)
        return float(loss.detach())

    def record(self, loss: float | None, lr: float, bar: Progress) -> None:
        """After a step (main process): the log row (`loss` given on logging steps), validation, checkpoint."""
        t = self.config.train
        row: dict[str, Any] = {}
        if loss is not None:
            row = {"step": self.step, "epoch": f"{self.step / self.steps_per_epoch:.4f}", "loss": f"{loss:.6f}",
                   "lr": f"{lr:.6g}", "seconds": f"{self.seconds():.1f}"}
        if self.val_sets and (self.step % t.val_every == 0 or self.step == self.total_steps):
            psnr, base = self.validate()
            row = {**(row or {"step": self.step, "epoch": f"{self.step / self.steps_per_epoch:.4f}",
                              "loss": "", "lr": f"{lr:.6g}", "seconds": f"{self.seconds():.1f}"}),
                   "val_psnr": f"{psnr:.4f}", "val_baseline_psnr": f"{base:.4f}"}
            if psnr > self.best_psnr:
                self.best_psnr = psnr
                self.save_weights("best.safetensors")
            bar.write(f"step {self.step}: val PSNR {psnr:.3f} dB (degraded input {base:.3f} dB)")
        if row:
            self.log(row)
        if self.step % t.checkpoint_every == 0:
            self.checkpoint()

    def plan_resumed_budget(self) -> None:
        """A run resumed with a time budget: its total so far was the earlier invocation's plan; plan it anew at
        the speed the run has had (fit_budget refines that once this invocation has timed its own steps)."""
        if self.step > 0 and self.seconds_before > 0:
            self.total_steps = planned_total(self.step, self.time_budget_s, self.seconds_before / self.step)

    def fit_budget(self, start_step: int) -> None:
        """Scale the run to the wall-clock budget: after 20 steps, and every 200, set the total steps so the
        run ends in time (the schedule follows the new total)."""
        done = self.step - start_step
        if done == 20 or (done > 20 and done % 200 == 0):
            elapsed = time.perf_counter() - (self.started or 0.0)  # this invocation's, as the budget
            total = planned_total(self.step, self.time_budget_s - elapsed, elapsed / done)
            if self.dist.world > 1:
                tensor = torch.tensor([total], device=self.device)
                dist.broadcast(tensor, 0)
                total = int(tensor.item())
            self.total_steps = total

    def finish(self) -> Path:
        final = self.out / FINAL_FILE
        if self.dist.main:
            self.checkpoint()
            final = self.save_weights(FINAL_FILE)
            if (self.out / LOG_FILE).exists():
                plot_curves(self.out / LOG_FILE, self.out / "curves.png", title=self.config.model.name,
                            loss_name=self.config.train.loss)
            if self.writer is not None:
                self.writer.close()
        if self.dist.world > 1:
            dist.barrier()
        return final
