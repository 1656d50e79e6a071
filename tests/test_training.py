"""`scn train`: configs, deterministic data, schedules, a tiny run, SIGKILL + resume bit-exact, torchrun, errors."""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from PIL import Image

import scn
from conftest import cli, needs_shared
from scn.cli.main import main
from scn.data.resize import imresize
from scn.training import config_from_dict, load_config
from scn.training.checkpointing import load_state
from scn.training.data import PatchDataset, StepBatchSampler, cached_lr, load_training_images
from scn.training.plot import baseline_in_view, plot_curves
from scn.training.schedule import lr_factor

ROOT = Path(__file__).resolve().parents[1]


def make_images(folder: Path, n: int = 4, size: tuple[int, int] = (64, 72), gray: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        # smooth random images: a network can learn something from them
        base = rng.uniform(0, 255, (size[0] // 8, size[1] // 8, 1 if gray else 3))
        img = np.kron(base, np.ones((8, 8, 1)))[..., 0 if gray else slice(None)]
        Image.fromarray(img.astype(np.uint8)).save(folder / f"img{i}.png")
    return folder


def tiny_config(tmp_path: Path, task: str = "sr", **train: object) -> dict:
    model = {"sr": "scn_x2", "denoise": "scn_denoise", "jpeg": "scn_jpeg"}[task]
    data = make_images(tmp_path / "train", gray=task != "sr")
    return {
        "model": {"name": model, "overrides": {"num_blocks": 2, "num_features": 8, "width": 2, "num_scales": 2}},
        "task": {"type": task, "scale": 2, "sigma": [0, 50], "quality": [10, 60]},
        "data": {"train": [str(data)], "val": [str(data)], "patch_size": 16, "batch_size": 4,
                 "patches_per_image": 25, "cache_dir": str(tmp_path / "cache")},
        "train": {"steps": 12, "val_every": 6, "checkpoint_every": 4, "log_every": 2, "lr": 1e-3, "threads": 1,
                  **train},
    }


def write_config(tmp_path: Path, data: dict, name: str = "cfg.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


# -- config ------------------------------------------------------------------------------------------------------

def test_every_committed_config_validates() -> None:
    configs = sorted((ROOT / "configs").rglob("*.yaml"))
    assert len(configs) > 20
    for path in configs:
        cfg = load_config(path)
        assert cfg.data.train


def test_shared_data_folders_follow_scn_shared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCN_SHARED", raising=False)
    assert load_config(ROOT / "configs" / "smoke.yaml").data.train == ["../shared/datasets/train/Train400"]
    monkeypatch.setenv("SCN_SHARED", str(tmp_path / "carried"))
    cfg = load_config(ROOT / "configs" / "smoke.yaml", ["data.val=[elsewhere/Set12]"])
    assert cfg.data.train == [str(tmp_path / "carried" / "datasets" / "train" / "Train400")]
    assert cfg.data.val == ["elsewhere/Set12"]  # only ../shared/ paths move


@pytest.mark.parametrize("mutate,match", [
    (lambda d: d["train"].update(stpes=3), "unknown config key.*train.stpes"),
    (lambda d: d.update(optimiser={}), "unknown config key.*optimiser"),
    (lambda d: d["train"].update(lr="fast"), "train.lr='fast' must be of type float"),
    (lambda d: d["train"].update(schedule="step"), "choose paper, reference, cosine, constant"),
    (lambda d: d["train"].update(loss="huber"), "train.loss='huber' is not allowed; choose l1 or l2"),
    (lambda d: d["model"].update(name="scn_x9"), "unknown model 'scn_x9'"),
    (lambda d: d["task"].update(scale=3), "is x2 but task.scale is 3"),
    (lambda d: d["task"].update(type="denoise"), "is a 'sr' model but task.type is 'denoise'"),
    (lambda d: d["data"].update(train=[]), "data.train is empty"),
    (lambda d: d["task"].update(sigma=[30, 10]), "low must not exceed high"),
    (lambda d: d.update(model={"name": "scn_small_denoise"}, task={"type": "denoise"})
     or d["train"].update(bicubic_skip=True), "bicubic_skip .* a denoise model has none"),
])
def test_bad_configs(tmp_path: Path, mutate, match: str) -> None:
    data = tiny_config(tmp_path)
    mutate(data)
    with pytest.raises(scn.ConfigError, match=match):
        config_from_dict(data)


def test_base_inheritance_and_set_overrides(tmp_path: Path) -> None:
    base = write_config(tmp_path, tiny_config(tmp_path), "base.yaml")
    child = tmp_path / "child.yaml"
    child.write_text(f"base: {base.name}\nmodel:\n  overrides: {{num_scales: 3}}\ntrain: {{lr: 5.0e-4}}\n")
    cfg = load_config(child, ["train.steps=99", "task.sigma=[5, 15]"])
    assert cfg.model.overrides == {"num_blocks": 2, "num_features": 8, "width": 2, "num_scales": 3}
    assert cfg.train.lr == 5e-4 and cfg.train.steps == 99 and cfg.task.sigma == [5, 15]
    with pytest.raises(scn.ConfigError, match="use section.key=value"):
        load_config(child, ["train.steps"])


def test_paper_and_reference_schedules() -> None:
    assert lr_factor("paper", 24.9 / 40) == 1.0
    assert lr_factor("paper", 25 / 40) == 0.5
    assert lr_factor("paper", 28.5 / 40) == 0.25
    assert lr_factor("paper", 39.9 / 40) == 0.5**5
    assert [lr_factor("reference", e / 30) for e in (19.9, 20, 25, 29.9)] == [1.0, 0.2, 0.04, 0.04]
    assert lr_factor("cosine", 0.5) == pytest.approx(0.5)


# -- data --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("task", ["sr", "denoise", "jpeg"])
def test_patches_are_deterministic_and_shaped(tmp_path: Path, task: str) -> None:
    cfg = config_from_dict(tiny_config(tmp_path, task))
    ds = PatchDataset(cfg, load_training_images(cfg))
    x, y = ds[(3, 17)]
    x2, y2 = ds[(3, 17)]
    assert torch.equal(x, x2) and torch.equal(y, y2)
    assert not torch.equal(ds[(4, 17)][1], y) or not torch.equal(ds[(4, 17)][0], x)
    c = 3 if task == "sr" else 1
    assert x.shape == (c, 16, 16) and y.shape == (c, 32 if task == "sr" else 16, 32 if task == "sr" else 16)
    if task == "sr":  # the LR patch is the crop of the whole image's cached MATLAB LR at the HR crop's place
        assert ds.lrs[0].shape == (32, 36, 3)
    if task == "denoise":
        assert float((x - y).abs().max()) > 0


def test_lr_cache_is_reused(tmp_path: Path) -> None:
    hr = np.random.default_rng(0).integers(0, 256, (40, 44, 3), dtype=np.uint8)
    a = cached_lr(hr, 2, tmp_path)
    files = list(tmp_path.glob("*.npy"))
    assert len(files) == 1 and np.array_equal(a, scn.data.imresize(hr, 0.5))
    np.save(files[0], a + 1)  # a cache hit returns the stored array, not a recomputation
    assert np.array_equal(cached_lr(hr, 2, tmp_path), a + 1)


def test_distributed_batches_partition_the_single_process_batches() -> None:
    single = StepBatchSampler(100, 8, 0, 0, 30)
    ranks = [StepBatchSampler(100, 4, 0, 0, 30, rank=r, world=2) for r in (0, 1)]
    for step in range(30):
        assert single.batch_at(step) == ranks[0].batch_at(step) + ranks[1].batch_at(step)
    epoch0 = [k for s in range(single.steps_per_epoch - 1) for k in single.batch_at(s)]
    assert len(set(epoch0)) == len(epoch0)  # no sample twice within an epoch


# -- runs --------------------------------------------------------------------------------------------------------

def read_log(path: Path) -> list[dict]:
    return list(csv.DictReader(path.open()))


@pytest.mark.parametrize("task", ["sr", "jpeg"])
def test_tiny_run_writes_everything(tmp_path: Path, task: str) -> None:
    cfg = write_config(tmp_path, tiny_config(tmp_path, task, ema=0.9))
    out = tmp_path / "run"
    assert main(["train", str(cfg), "--out", str(out), "--no-progress"]) == 0
    for name in ("final.safetensors", "best.safetensors", "last.safetensors", "checkpoint.pt", "log.csv",
                 "curves.png", "config.yaml"):
        assert (out / name).is_file(), name
    rows = read_log(out / "log.csv")
    assert {"step", "epoch", "loss", "lr", "val_psnr", "val_baseline_psnr"} <= set(rows[0])
    assert [r["step"] for r in rows if r["val_psnr"]] == ["6", "12"]
    model = scn.load_model(out / "final.safetensors")
    assert model.config.num_blocks == 2 and "trained 12 steps" in scn.read_metadata(out / "final.safetensors")["notes"]
    assert main(["train", str(cfg), "--out", str(out), "--no-progress"]) == 2  # refuses to clobber a run


def test_channels_last_off_trains_the_same_network(tmp_path: Path) -> None:
    """`train.channels_last: false` (contiguous memory, faster on some CPUs) is a layout, not another training: the
    same 12 steps end at the same weights up to float rounding; the model trains in the layout asked for."""
    from scn.training import Trainer

    data = tiny_config(tmp_path, val_every=1000, deterministic=True)
    for layout, form in ((True, torch.channels_last), (False, torch.contiguous_format)):
        trainer = Trainer(config_from_dict({**data, "train": {**data["train"], "channels_last": layout}}),
                          tmp_path / f"probe_{layout}", progress=False)
        convs = [p for p in trainer.model.parameters() if p.dim() == 4 and p.shape[1] > 1 and p.shape[-1] > 1]
        assert convs and all(p.is_contiguous(memory_format=form) for p in convs)
        assert layout != all(p.is_contiguous() for p in convs)  # channels-last 3x3 weights are not contiguous
    cfg = write_config(tmp_path, data)
    finals = {}
    for layout in ("true", "false"):
        out = tmp_path / f"run_{layout}"
        assert main(["train", str(cfg), "--out", str(out), "--no-progress", "--set",
                     f"train.channels_last={layout}"]) == 0
        finals[layout] = scn.load_model(out / "final.safetensors").state_dict()
    for k, v in finals["true"].items():
        torch.testing.assert_close(finals["false"][k], v, rtol=1e-4, atol=1e-5, msg=k)


def run_train(*args: str, **kw) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "scn.cli.main", "train", *args, "--no-progress"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, **kw)


STOP_RUN_STEPS = 100


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The config of a 100-step run and the run itself, done once for the stop / resume cases (its first checkpoint
    at step 10 leaves some 90 steps, seconds, to stop it in)."""
    root = tmp_path_factory.mktemp("stops")
    data = tiny_config(root, steps=STOP_RUN_STEPS, checkpoint_every=10, val_every=1000, log_every=10, deterministic=True)
    data["data"]["val"] = []
    cfg = write_config(root, data)
    assert run_train(str(cfg), "--out", str(root / "full")).wait() == 0
    return cfg, root / "full"


@pytest.mark.parametrize("stop,group,workers", [
    (signal.SIGKILL, False, 0),
    (signal.SIGTERM, False, 0),
    (signal.SIGTERM, True, 2),  # as timeout / scancel / Ctrl-C send it: to the process group, loader workers too
    (signal.SIGINT, True, 2),
])
def test_stopped_then_resumed_equals_uninterrupted(uninterrupted: tuple[Path, Path], tmp_path: Path,
                                                   stop: signal.Signals, group: bool, workers: int) -> None:
    """SIGKILL loses the steps since the last checkpoint; TERM / INT (to the process or its whole group, loader
    workers included) checkpoint the step in hand and exit 143 / 130; the resumed run equals the uninterrupted one
    bit for bit (the data of a step does not depend on the number of workers)."""
    cfg, full = uninterrupted
    stopped = tmp_path / "stopped"
    workers_set = ("--set", f"data.workers={workers}")
    proc = run_train(str(cfg), "--out", str(stopped), *workers_set, start_new_session=group)
    deadline = time.time() + 120
    while not (stopped / "checkpoint.pt").exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    if group:
        os.killpg(proc.pid, stop)
    else:
        proc.send_signal(stop)
    code = proc.wait(timeout=120)
    assert not (stopped / "final.safetensors").exists(), "the run ended before it could be stopped"
    if stop != signal.SIGKILL:
        err = proc.stderr.read().decode()
        assert code == 128 + stop, err[-2000:]
        message = err.strip().splitlines()[-1]
        assert f"stopped by {stop.name} at step" in message and "--resume" in message
        assert "Traceback" not in err
    resumed = run_train(str(cfg), "--out", str(stopped), "--resume", *workers_set)
    assert resumed.wait(timeout=300) == 0, resumed.stderr.read().decode()
    a, b = scn.load_model(full / "final.safetensors"), scn.load_model(stopped / "final.safetensors")
    for (k, va), vb in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.equal(va, vb), k
    rows = read_log(stopped / "log.csv")
    steps = [int(r["step"]) for r in rows]
    assert steps == sorted(set(steps)) and steps[-1] == STOP_RUN_STEPS  # no duplicated rows after the resume
    seconds = [float(r["seconds"]) for r in rows]
    assert seconds == sorted(seconds), "the log's training time keeps counting across the resume"


def flip_a_bit(path: Path, at: float = 0.6) -> None:
    data = bytearray(path.read_bytes())
    data[int(len(data) * at)] ^= 0x08
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", ["bit flip", "truncated"])
def test_a_damaged_checkpoint_resumes_from_the_one_before_and_equals_uninterrupted(
        uninterrupted: tuple[Path, Path], tmp_path: Path, damage: str) -> None:
    """The last two states are kept, each with its sha256 (a flipped bit loads silently in torch's format); a
    damaged latest one is named in one line and the run resumes from the one before, ending as the run that was
    never stopped ends, bit for bit."""
    cfg, full = uninterrupted
    stopped = tmp_path / "stopped"
    proc = run_train(str(cfg), "--out", str(stopped))
    deadline = time.time() + 120
    while not (stopped / "checkpoint.prev.pt").exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    latest = stopped / "checkpoint.pt"
    if not latest.exists():  # stopped between the two renames: the previous state alone is there
        latest.write_bytes((stopped / "checkpoint.prev.pt").read_bytes())
    if damage == "bit flip":
        flip_a_bit(latest)
    else:
        latest.write_bytes(latest.read_bytes()[:1000])
    resumed = run_train(str(cfg), "--out", str(stopped), "--resume")
    assert resumed.wait(timeout=300) == 0, resumed.stderr.read().decode()
    note = [line for line in resumed.stderr.read().decode().splitlines() if "checkpoint.prev.pt" in line]
    assert len(note) == 1 and str(latest) in note[0] and "resuming from checkpoint.prev.pt (step" in note[0], note
    a, b = scn.load_model(full / "final.safetensors"), scn.load_model(stopped / "final.safetensors")
    for (k, va), vb in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.equal(va, vb), k
    steps = [int(r["step"]) for r in read_log(stopped / "log.csv")]
    assert steps == sorted(set(steps)) and steps[-1] == STOP_RUN_STEPS


def test_damaged_states_and_weights_are_one_line_errors(tmp_path: Path, capsys) -> None:
    from scn.training.checkpointing import load_latest_state, load_state, save_state

    path = tmp_path / "checkpoint.pt"
    save_state({"step": 1, "w": torch.ones(100_000)}, path)  # mostly tensor bytes: a flip at half-way hits them
    save_state({"step": 2, "w": torch.ones(100_000) * 2}, path)
    assert load_state(tmp_path / "checkpoint.prev.pt")["step"] == 1 and load_latest_state(path)[1] == ""
    flip_a_bit(path, 0.5)
    with pytest.raises(scn.ScnError, match="checkpoint.pt is damaged: it fails its checksum"):
        load_state(path)
    state, note = load_latest_state(path)
    assert state["step"] == 1 and "resuming from checkpoint.prev.pt (step 1)" in note
    flip_a_bit(tmp_path / "checkpoint.prev.pt", 0.5)
    with pytest.raises(scn.ScnError, match="damaged"):
        load_latest_state(path)
    weights = scn.save_model(scn.create_model("scn_x2", num_blocks=1, num_features=8), tmp_path / "m.safetensors")
    flip_a_bit(weights, 0.9)
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(tmp_path / "in.png")
    assert main(["restore", str(tmp_path / "in.png"), "-o", str(tmp_path / "o.png"), "--model", str(weights)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{weights}: damaged: its weights fail their checksum" in err[0]


def test_a_resumed_run_keeps_its_length_and_says_so_when_the_config_asks_another(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """A run's schedule is fixed when it starts: resumed with another train.steps it ends where it planned to, and
    says so on stderr (once, not silently)."""
    cfg, out = write_config(tmp_path, tiny_config(tmp_path, steps=8, val_every=100)), tmp_path / "run"
    assert main(["train", str(cfg), "--out", str(out), "--no-progress", "--set", "train.steps=4"]) == 0
    capsys.readouterr()
    state = load_state(out / "checkpoint.pt")
    assert state["step"] == state["total_steps"] == 4
    assert main(["train", str(cfg), "--out", str(out), "--resume", "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert err.count("the run keeps the length it started with, 4 steps") == 1 and "asks 8" in err
    assert load_state(out / "checkpoint.pt")["step"] == 4


def test_budgeted_run_resumed_with_more_time_trains_past_its_first_plan(tmp_path: Path) -> None:
    """--time-budget plans the total from the measured speed; a resume with a new budget plans anew (it used to
    stop at the first invocation's total, with the LR still high) and ends with its schedule run out."""
    data = tiny_config(tmp_path, steps=10**6, schedule="cosine", val_every=10**6, checkpoint_every=10, log_every=5)
    cfg, out = write_config(tmp_path, data), tmp_path / "run"
    torch_threads = torch.get_num_threads()
    try:
        assert main(["train", str(cfg), "--out", str(out), "--time-budget", "1.5", "--no-progress"]) == 0
        first = load_state(out / "checkpoint.pt")["step"]
        assert main(["train", str(cfg), "--out", str(out), "--resume", "--time-budget", "1.5", "--no-progress"]) == 0
    finally:
        torch.set_num_threads(torch_threads)
    state = load_state(out / "checkpoint.pt")
    assert 20 < first < state["step"] == state["total_steps"] < 10**6
    assert state["step"] > first + 20, (first, state["step"])
    rows = read_log(out / "log.csv")
    assert float(rows[-1]["lr"]) < 0.05 * 1e-3  # the cosine ran out at the new end


def test_torchrun_two_processes_match_one_process_with_the_global_batch(tmp_path: Path) -> None:
    data = tiny_config(tmp_path, steps=6, checkpoint_every=3, val_every=6, log_every=3)
    data["data"]["val"] = []
    one = dict(data, data={**data["data"], "batch_size": 8})
    cfg_two, cfg_one = write_config(tmp_path, data, "two.yaml"), write_config(tmp_path, one, "one.yaml")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                           "-m", "scn.cli.main", "train", str(cfg_two), "--out", str(tmp_path / "two"),
                           "--no-progress"], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert run_train(str(cfg_one), "--out", str(tmp_path / "one")).wait() == 0
    a = scn.load_model(tmp_path / "two" / "final.safetensors").state_dict()
    b = scn.load_model(tmp_path / "one" / "final.safetensors").state_dict()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-4, atol=1e-5, msg=k)
    assert len(read_log(tmp_path / "two" / "log.csv")) == 2  # rank 0 logs alone


def test_torchrun_stopped_by_sigterm_checkpoints_and_resumes_alone(uninterrupted: tuple[Path, Path],
                                                                   tmp_path: Path) -> None:
    """SIGTERM to torchrun (as a scheduler sends it) reaches every process; they agree on the step, rank 0
    checkpoints it, and one process at the global batch resumes to what the uninterrupted run ends with."""
    from scn.training.checkpointing import load_state

    cfg, full = uninterrupted
    stopped = tmp_path / "stopped"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                             "-m", "scn.cli.main", "train", str(cfg), "--out", str(stopped), "--no-progress",
                             "--set", "data.batch_size=2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    deadline = time.time() + 120
    while not (stopped / "checkpoint.pt").exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGTERM)
    err = proc.communicate(timeout=120)[1].decode()
    assert not (stopped / "final.safetensors").exists(), "the run ended before it could be stopped"
    said = [line for line in err.splitlines() if line.startswith("scn train: stopped by SIGTERM at step")]
    assert len(said) == 1, err[-3000:]  # rank 0 alone says it
    step = int(said[0].split("at step ")[1].split(";")[0])
    assert load_state(stopped / "checkpoint.pt")["step"] == step
    resumed = run_train(str(cfg), "--out", str(stopped), "--resume")
    assert resumed.wait(timeout=300) == 0, resumed.stderr.read().decode()
    a, b = scn.load_model(full / "final.safetensors"), scn.load_model(stopped / "final.safetensors")
    for (k, va), vb in zip(a.state_dict().items(), b.state_dict().values()):
        # the all-reduce sums in another order, and ~90 steps of Adam grow that to a few 1e-3 of a tensor's size
        assert (va - vb).abs().max() <= 2e-2 * va.abs().max() + 1e-6, k
    steps = [int(r["step"]) for r in read_log(stopped / "log.csv")]
    assert steps == sorted(set(steps)) and steps[-1] == STOP_RUN_STEPS


# -- failures ----------------------------------------------------------------------------------------------------

def one_line_failure(args: list[str]) -> str:
    proc = cli(*args)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    return lines[0]


def test_a_missing_relative_folder_says_where_it_was_looked_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                                ) -> None:
    """Configs name ../shared/... folders, relative to the working folder: run elsewhere, the error says so and how
    to point there."""
    from scn.data.io import ImageError, list_images

    monkeypatch.chdir(tmp_path)
    with pytest.raises(ImageError, match=r"^\.\./shared/datasets/nope: no such folder \(relative to the working "
                                         rf"folder {tmp_path}; run from the checkout, or set SCN_SHARED .*\)$"):
        list_images("../shared/datasets/nope")
    with pytest.raises(ImageError, match=rf"^mine: no such folder \(relative to the working folder {tmp_path}\)$"):
        list_images("mine")
    with pytest.raises(ImageError, match=r"nope: no such folder$"):
        list_images(tmp_path / "nope")


def test_missing_and_imageless_folders(tmp_path: Path) -> None:
    data = tiny_config(tmp_path)
    data["data"]["train"] = [str(tmp_path / "nope")]
    assert "no such folder" in one_line_failure(["train", str(write_config(tmp_path, data)), "--out",
                                                  str(tmp_path / "o1")])
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.txt").write_text("no images")
    data["data"]["train"] = [str(tmp_path / "empty")]
    assert "no images" in one_line_failure(["train", str(write_config(tmp_path, data)), "--out", str(tmp_path / "o2")])
    bad = tmp_path / "bad.yaml"
    bad.write_text("train: {stepz: 3}\n")
    assert "unknown config key" in one_line_failure(["train", str(bad), "--out", str(tmp_path / "o3")])
    assert "no such config file" in one_line_failure(["train", str(tmp_path / "x.yaml"), "--out", str(tmp_path)])
    assert "no checkpoint.pt" in one_line_failure(["train", str(write_config(tmp_path, tiny_config(tmp_path))),
                                                   "--out", str(tmp_path / "o4"), "--resume"])


def test_full_disk_is_a_clear_error_and_keeps_the_last_checkpoint(tmp_path: Path, monkeypatch, capsys) -> None:
    import errno

    import scn.training.checkpointing as ck

    cfg = write_config(tmp_path, tiny_config(tmp_path, steps=8, checkpoint_every=4, val_every=100))
    out = tmp_path / "run"
    real_save = torch.save
    calls = {"n": 0}

    def flaky_save(obj, f, *a, **k):
        calls["n"] += not isinstance(f, io.BytesIO)  # files, not the state serialised in memory to be sealed
        if calls["n"] >= 2:  # the second checkpoint hits a full disk
            with open(f, "wb") as fh:
                fh.write(b"partial")
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_save(obj, f, *a, **k)

    monkeypatch.setattr(ck.torch, "save", flaky_save)
    assert main(["train", str(cfg), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("scn train: error: cannot write") and "no space left on device" in err[-1]
    state = ck.load_state(out / "checkpoint.pt")  # the first checkpoint, intact
    assert state["step"] == 4 and not (out / "checkpoint.prev.pt").exists()
    assert not list(out.glob(".*.tmp"))


def test_images_smaller_than_a_patch_are_skipped(tmp_path: Path, capsys) -> None:
    data = tiny_config(tmp_path)
    make_images(tmp_path / "train", n=1, size=(16, 16))  # overwrites img0 with a 16x16 image
    images = load_training_images(config_from_dict(data))
    assert len(images) == 3 and "skipping 1 image" in capsys.readouterr().err
    data["data"]["patch_size"] = 64
    with pytest.raises(scn.ScnError, match="every training image is smaller"):
        load_training_images(config_from_dict(data))


def test_zero_tail_starts_as_the_skip_path() -> None:
    from scn.archs.base import RestorationNet
    from scn.models import create_model
    from scn.training.starts import zero_tail

    torch.manual_seed(0)
    x = torch.rand(1, 1, 24, 20)
    denoiser: RestorationNet = create_model("scn_small_denoise")
    zero_tail(denoiser)
    assert torch.equal(denoiser(x), x)
    sr: RestorationNet = create_model("scn_small_x2")
    with torch.no_grad():
        sr.tail.bias.fill_(0.01)  # as if loaded by train.init
    zero_tail(sr, keep={"tail.bias"})
    rgb = torch.rand(1, 3, 16, 24)  # a multiple of the pyramid's 8: no padding
    assert torch.all(sr.tail.bias == 0.01), "a kept parameter must not be zeroed"
    residual = sr.skip(rgb - sr.config.image_mean) + sr.tail.bias.view(1, -1, 1, 1)
    expected = sr.shuffle(residual) + sr.config.image_mean
    torch.testing.assert_close(sr(rgb), expected)


@pytest.mark.parametrize("name", ["scn_small_denoise", "wdsr_small_x2", "scn_unshared_x2"])
def test_zero_blocks_makes_every_block_the_identity(name: str) -> None:
    from scn.models import create_model
    from scn.training.starts import zero_blocks

    torch.manual_seed(0)
    model = create_model(name, num_blocks=2) if name != "scn_unshared_x2" else create_model(name)
    zero_blocks(model)
    features = torch.randn(1, model.config.num_features, 16, 16)
    torch.testing.assert_close(model.run_body(features, model.config.num_scales, model.config.ratio), features)
    model(torch.rand(1, model.config.channels, 16, 16)).square().mean().backward()
    scales = [p for n, p in model.named_parameters() if n.startswith("body.0.") and n.endswith("conv2.weight_g")]
    if name == "scn_unshared_x2":  # coarse levels' own bodies reach level 0 only once later blocks are non-zero
        scales = scales[:1]
    assert scales and all(p.grad is not None and p.grad.abs().sum() > 0 for p in scales), "no gradient at step 1"


def test_zero_blocks_after_init_grows_a_deeper_model_that_starts_as_the_shallower() -> None:
    from scn.models import create_model
    from scn.training.loop import init_from
    from scn.training.starts import zero_blocks

    torch.manual_seed(0)
    shallow = create_model("scn_small_denoise_rgb", num_blocks=2).eval()
    with torch.no_grad():  # trained-looking: non-zero tap biases everywhere
        for name, param in shallow.named_parameters():
            if name.endswith("pointwise.bias"):
                param.normal_(std=0.05)
    deep = create_model("scn_small_denoise_rgb", num_blocks=4).eval()
    skipped = init_from(deep, shallow)
    assert skipped and all(name.startswith(("body.2.", "body.3.")) for name in skipped)
    loaded = set(deep.state_dict()) - set(skipped)
    zero_blocks(deep, keep=loaded)
    for name, value in shallow.state_dict().items():  # nothing loaded was touched
        assert torch.equal(deep.state_dict()[name], value), name
    x = torch.rand(1, 3, 20, 28)
    with torch.no_grad():
        torch.testing.assert_close(deep(x), shallow(x), rtol=0, atol=1e-6)


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_bicubic_skip_starts_at_matlab_bicubic(scale: int) -> None:
    from scn.data.resize import imresize
    from scn.models import create_model
    from scn.training.starts import bicubic_skip, zero_tail

    model = create_model(f"scn_small_x{scale}", num_blocks=1)
    zero_tail(model)
    bicubic_skip(model)
    lr = np.random.default_rng(scale).random((24, 32, 3))
    with torch.no_grad():
        out = model(torch.from_numpy(lr).permute(2, 0, 1)[None].float())[0].permute(1, 2, 0).double().numpy()
    border = 2 * scale  # the conv pads with the mean, MATLAB replicates the edge: the two differ only there
    np.testing.assert_allclose(out[border:-border, border:-border],
                               imresize(lr, scale=scale)[border:-border, border:-border], atol=1e-5)


def test_bicubic_skip_needs_an_sr_model() -> None:
    from scn.models import create_model
    from scn.training.starts import bicubic_skip

    with pytest.raises(ValueError, match="needs an SR model"):
        bicubic_skip(create_model("scn_small_denoise"))


@pytest.mark.parametrize("gray_file, colour_name", [("scn_denoise", "scn_small_denoise_rgb"),
                                                     ("scn_jpeg", "scn_small_jpeg_rgb")])
def test_a_colour_model_from_a_gray_one_starts_as_the_luma_route(gray_file: str, colour_name: str) -> None:
    """train.init of a shipped gray model into its colour twin: the luma moves as the gray model moves it, Cb and
    Cr stay."""
    from scn.data.color import rgb_to_ycbcr
    from scn.models import create_model
    from scn.training.loop import init_from
    from scn.training.starts import luma_matched_mean
    from scn.zoo import WEIGHTS_DIR

    path = WEIGHTS_DIR / f"{gray_file}.safetensors"  # the file's former name: it still resolves
    gray = scn.resolve(path).load().eval()
    colour = create_model(colour_name, align_corners=gray.config.align_corners,
                          image_mean=luma_matched_mean(gray.config.image_mean)).eval()
    assert init_from(colour, str(path)) == []
    x = torch.nn.functional.avg_pool2d(torch.rand(1, 3, 48, 64, generator=torch.Generator().manual_seed(0)), 3, 1, 1)
    ycc_in = rgb_to_ycbcr(x[0].permute(1, 2, 0).double().numpy())
    with torch.no_grad():
        ycc_out = rgb_to_ycbcr(colour(x)[0].permute(1, 2, 0).double().numpy())
        y_gray = gray(torch.from_numpy(ycc_in[..., 0] / 255).float()[None, None])[0, 0].double().numpy() * 255
    assert np.abs(y_gray - ycc_in[..., 0]).max() > 0.5  # the gray model does change the luma
    np.testing.assert_allclose(ycc_out[..., 0], y_gray, atol=1e-3)  # on the 0..255 scale: float32 rounding
    np.testing.assert_allclose(ycc_out[..., 1:], ycc_in[..., 1:], atol=1e-3)
    with pytest.raises(ValueError, match="needs image_mean 0.509"):
        init_from(create_model(colour_name), str(path))


def test_colour_from_gray_needs_restoration_models() -> None:
    from scn.models import create_model
    from scn.training.starts import colour_from_gray

    with pytest.raises(ValueError, match="not super-resolution"):
        colour_from_gray(create_model("scn_small_x2", channels=1), create_model("scn_small_x2"))


def test_colour_denoiser_trains_on_rgb_patches(tmp_path: Path) -> None:
    """`scn_denoise_rgb` (channels 3): RGB patches with noise on every value, validated on RGB."""
    data = tiny_config(tmp_path, "denoise", steps=4, val_every=4)
    colour = make_images(tmp_path / "colour")
    data["model"]["name"] = "scn_denoise_rgb"
    data["data"]["train"] = data["data"]["val"] = [str(colour)]
    cfg = config_from_dict(data)
    x, y = PatchDataset(cfg, load_training_images(cfg))[(0, 3)]
    assert x.shape == y.shape == (3, 16, 16) and float((x - y).abs().max()) > 0
    out = tmp_path / "run"
    assert main(["train", str(write_config(tmp_path, data)), "--out", str(out), "--no-progress"]) == 0
    model = scn.load_model(out / "final.safetensors")
    assert model.config.channels == 3 and model.config.task == "denoise"
    assert float(read_log(out / "log.csv")[-1]["val_baseline_psnr"]) < 25  # sigma 25 noise, on RGB


def test_scales_add_each_image_down_scaled_by_matlab_bicubic(tmp_path: Path, capsys) -> None:
    """data.scales: every image once per factor, in order, each the MATLAB-bicubic resize; [1] (the default) is
    the images as they are, and too-small down-scaled copies are skipped by name."""
    data = tiny_config(tmp_path, "denoise")
    plain = load_training_images(config_from_dict(data))
    data["data"]["scales"] = [1, 0.75]
    scaled = load_training_images(config_from_dict(data))
    assert len(scaled) == 2 * len(plain)
    for i, image in enumerate(plain):
        assert np.array_equal(scaled[2 * i], image)
        assert np.array_equal(scaled[2 * i + 1], imresize(image, 0.75))
    data["data"]["scales"] = [1, 0.1]
    assert len(load_training_images(config_from_dict(data))) == len(plain)
    assert "@0.1" in capsys.readouterr().err
    for bad, match in [([], "non-empty list"), ([1.5], "in \\(0, 1\\]"), ([0], "in \\(0, 1\\]"),
                       (0.9, "list"), ([1, 1], "repeats")]:
        data["data"]["scales"] = bad
        with pytest.raises(scn.ConfigError, match=match):
            config_from_dict(data)


def patches_off_and_on(data: dict, key: str, value: float, n: int = 40,
                       section: str = "data") -> list[tuple[tuple, tuple]]:
    """The first `n` training patches of config `data` with SECTION.KEY off and at `value`, pair by pair."""
    on = copy.deepcopy(data)
    on[section][key] = value
    plain, mixed = config_from_dict(data), config_from_dict(on)
    images = load_training_images(plain)
    off_patches, on_patches = PatchDataset(plain, images), PatchDataset(mixed, images)
    return [(off_patches[(0, i)], on_patches[(0, i)]) for i in range(n)]


def test_gray_fraction_makes_that_share_of_colour_patches_gray_and_leaves_the_rest(tmp_path: Path) -> None:
    """data.gray_fraction: that share of clean colour patches become R = G = B (full-range BT.601 luma); the
    others, and the noise drawn for every patch, are the same as with it off."""
    data = tiny_config(tmp_path, "denoise")
    data["model"]["name"] = "scn_denoise_rgb"
    data["data"]["train"] = [str(make_images(tmp_path / "colour"))]
    gray = 0
    for (x0, y0), (x1, y1) in patches_off_and_on(data, "gray_fraction", 0.5):
        if torch.equal(y0, y1):
            assert torch.equal(x0, x1) and not torch.equal(y0[0], y0[1])
            continue
        gray += 1
        assert torch.equal(y1[0], y1[1]) and torch.equal(y1[1], y1[2])
        luma = (y0.double() * 255).permute(1, 2, 0) @ torch.tensor([0.299, 0.587, 0.114], dtype=torch.float64)
        assert float((y1[0].double() * 255 - luma).abs().max()) <= 0.5 + 1e-6
    assert 10 <= gray <= 30
    for bad, match in [(1.5, "must be in \\[0, 1\\]"), (0.2, "not one")]:
        data["data"]["gray_fraction"] = bad
        if bad == 0.2:
            data["model"]["name"] = "scn_denoise"
            data["data"]["train"] = [str(make_images(tmp_path / "gray", gray=True))]
        with pytest.raises(scn.ConfigError, match=match):
            config_from_dict(data)


def test_channel_gain_fraction_scales_each_channel_of_that_share_of_colour_patches(tmp_path: Path) -> None:
    """data.channel_gain_fraction: that share of clean colour patches have R, G, B each scaled by a gain from
    U[channel_gains] and rounded back to 8 bits (a random white balance); the others, and every patch's crop, are
    as with it off; a gray model, a bad share or bad gains are refused."""
    data = tiny_config(tmp_path, "denoise")
    data["model"]["name"] = "scn_denoise_rgb"
    data["data"]["train"] = [str(make_images(tmp_path / "colour"))]
    data["data"]["channel_gains"] = [0.6, 0.9]  # below 1, so no value saturates and each gain reads back exactly
    scaled = 0
    for (x0, y0), (x1, y1) in patches_off_and_on(data, "channel_gain_fraction", 0.5):
        if torch.equal(y0, y1):
            assert torch.equal(x0, x1)
            continue
        scaled += 1
        for before, after in zip(y0.double() * 255, y1.double() * 255):
            bright = before > 100  # where rounding moves the ratio least
            gain = float((after[bright] / before[bright]).median())
            assert 0.6 - 0.01 <= gain <= 0.9 + 0.01
            assert float((after - torch.floor(before * gain + 0.5)).abs().max()) <= 1.0 + 1e-4  # the median gain, not the drawn one
        ratios = [float((a[b0 > 100] / b0[b0 > 100]).median()) for a, b0 in zip(y1 * 255, y0 * 255)]
        assert max(ratios) - min(ratios) > 1e-3  # three gains of their own, not one brightness
    assert 10 <= scaled <= 30
    for key, bad, match in [("channel_gain_fraction", -0.1, "must be in \\[0, 1\\]"),
                            ("channel_gains", [1.5, 0.5], "0 < low <= high"), ("channel_gains", [0.5], "low, high")]:
        wrong = copy.deepcopy(data)
        wrong["data"][key] = bad
        with pytest.raises(scn.ConfigError, match=match):
            config_from_dict(wrong)
    data["data"]["channel_gain_fraction"] = 0.5
    data["model"]["name"] = "scn_denoise"
    data["data"]["train"] = [str(make_images(tmp_path / "gray", gray=True))]
    with pytest.raises(scn.ConfigError, match="not one"):
        config_from_dict(data)


def test_texture_fraction_cuts_that_share_of_patches_where_the_detail_is(tmp_path: Path) -> None:
    """data.texture_fraction: that share of patches is cut at the crop with the most detail among
    texture_candidates of its picture (the uniform draw one of them), so no such patch holds less detail than it
    would have and most hold more; the noise added and every other patch are as with it off; SR crops move on
    both LR and HR; a bad share or fewer than two candidates are refused."""
    from scn.training.data import detail

    def more_detail(after: torch.Tensor, before: torch.Tensor) -> float:
        return detail(after.permute(1, 2, 0).numpy()) - detail(before.permute(1, 2, 0).numpy())

    data = tiny_config(tmp_path, "denoise")
    data["model"]["name"] = "scn_denoise_rgb"
    data["data"]["train"] = [str(make_images(tmp_path / "colour"))]
    data["data"]["texture_candidates"] = 8
    moved = []
    for (x0, y0), (x1, y1) in patches_off_and_on(data, "texture_fraction", 0.5, n=60):
        assert torch.allclose(x1 - y1, x0 - y0, atol=1e-6)  # the same noise draw on whichever crop
        if not torch.equal(y0, y1):
            moved.append(more_detail(y1, y0))
    assert 12 <= len(moved) <= 40 and min(moved) >= 0 and sum(moved) > 0
    sr = tiny_config(tmp_path, "sr")
    sr["data"]["texture_candidates"] = 8
    pairs = patches_off_and_on(sr, "texture_fraction", 1.0, n=20)
    assert sum(not torch.equal(y0, y1) for (_, y0), (_, y1) in pairs) >= 10
    for (x0, y0), (x1, y1) in pairs:
        assert more_detail(y1, y0) >= 0 and torch.equal(x0, x1) == torch.equal(y0, y1)
    for key, bad, match in [("texture_fraction", 1.5, "must be in \\[0, 1\\]"), ("texture_candidates", 1, "2 or more")]:
        wrong = copy.deepcopy(data)
        wrong["data"].update({"texture_fraction": 0.5, key: bad})
        with pytest.raises(scn.ConfigError, match=match):
            config_from_dict(wrong)


def test_clipped_fraction_stores_that_share_of_noisy_patches_as_8_bit_files_do(tmp_path: Path) -> None:
    """data.clipped_fraction: that share of noisy patches are clipped to [0, 1] and rounded to 8 bits (what
    `scn benchmark --clip` scores), the rest and every clean patch are as with it off, a noise-map model is told
    the sigma that was added either way; it needs a task that adds noise."""
    data = tiny_config(tmp_path, "denoise")
    data["task"]["sigma"] = [20, 60]
    data["model"]["overrides"] = {**data["model"].get("overrides", {}), "noise_map": True}
    clipped = 0
    for (x0, y0), (x1, y1) in patches_off_and_on(data, "clipped_fraction", 0.5):
        assert torch.equal(y0, y1) and torch.equal(x0[-1], x1[-1])  # the same clean patch, told the same level
        if torch.equal(x0, x1):
            continue
        clipped += 1
        expect = torch.round(x0[:-1].double().clamp(0, 1) * 255) / 255
        assert torch.allclose(x1[:-1].double(), expect, atol=1e-6)
    assert 10 <= clipped <= 30
    data["data"]["clipped_fraction"] = 1.5
    with pytest.raises(scn.ConfigError, match="must be in \\[0, 1\\]"):
        config_from_dict(data)
    jpeg = {**data, "model": {**data["model"], "name": "scn_jpeg", "overrides": {}}, "task": {"type": "jpeg"}}
    jpeg["data"]["clipped_fraction"] = 0.2
    with pytest.raises(scn.ConfigError, match="adds no noise"):
        config_from_dict(jpeg)


def test_val_clipped_validates_under_the_clip_protocol(tmp_path: Path) -> None:
    """data.val_clipped: validation scores noisy pictures clipped and rounded to 8 bits, as `scn benchmark --clip`
    does on the same pictures; off, the unclipped noise; a task that adds no noise refuses it."""
    from scn.evaluation.methods import NetworkMethod
    from scn.evaluation.runner import run_benchmark
    from scn.training.loop import Trainer

    data = tiny_config(tmp_path, "denoise")
    scores = {}
    for clipped in (False, True):
        data["data"]["val_clipped"] = clipped
        trainer = Trainer(config_from_dict(data), tmp_path / f"run{clipped}", progress=False)
        task, model = trainer.config.restoration_task, trainer.weights_model().eval()
        method = NetworkMethod("model", (task.name,), lambda s: model)
        rows = run_benchmark([method], trainer.val_sets, task, [trainer.config.val_setting], progress=False,
                             clip_noise=clipped)
        scores[clipped] = trainer.validate()
        assert scores[clipped][0] == pytest.approx(rows[0].psnr, abs=1e-9)
    assert scores[True][0] != pytest.approx(scores[False][0], abs=1e-3)  # the model saw other pictures
    assert scores[True][1] == scores[False][1]  # the input is scored as 8 bits either way
    jpeg = {**data, "model": {**data["model"], "name": "scn_jpeg"}, "task": {"type": "jpeg"}}
    with pytest.raises(scn.ConfigError, match="adds no noise"):
        config_from_dict(jpeg)


def test_focus_fraction_draws_that_share_of_levels_from_the_focus_range(tmp_path: Path) -> None:
    """task.focus_fraction: that share of patches take their level from task.focus (the same uniform draw scaled
    into it, so the noise is the same draw scaled to the new level), the rest and every clean patch as with it
    off; focus must lie inside the trained range and is needed by a fraction above 0."""
    data = tiny_config(tmp_path, "denoise")
    data["task"]["sigma"] = [0, 60]
    data["task"]["focus"] = [0, 10]
    data["model"]["overrides"] = {**data["model"].get("overrides", {}), "noise_map": True}
    focused = 0
    for (x0, y0), (x1, y1) in patches_off_and_on(data, "focus_fraction", 0.5, section="task"):
        assert torch.equal(y0, y1)
        level0, level1 = float(x0[-1, 0, 0]) * 255, float(x1[-1, 0, 0]) * 255
        if torch.equal(x0, x1):
            continue
        focused += 1
        assert level1 == pytest.approx(level0 / 6, rel=1e-5) and level1 <= 10 + 1e-4
        assert torch.allclose((x1[:-1] - y1).double(), (x0[:-1] - y0).double() / 6, atol=1e-5)
    assert 10 <= focused <= 30
    for task, match in [({"focus_fraction": 1.5}, "must be in \\[0, 1\\]"),
                        ({"focus": None, "focus_fraction": 0.3}, "needs task.focus"),
                        ({"focus": [50, 80], "focus_fraction": 0.3}, "inside the trained range"),
                        ({"focus": [5], "focus_fraction": 0.3}, "pair")]:
        bad = copy.deepcopy(data)
        bad["task"].update(task)
        with pytest.raises(scn.ConfigError, match=match):
            config_from_dict(bad)


def test_colour_jpeg_crops_on_the_chroma_block_grid(tmp_path: Path) -> None:
    """4:2:0 colour JPEG: chroma blocks span 16x16 pixels, so colour patches start on multiples of 16 (gray: 8)."""
    data = tiny_config(tmp_path, "jpeg")
    data["model"]["name"] = "scn_jpeg_rgb"
    data["data"]["train"] = [str(make_images(tmp_path / "colour", size=(96, 96)))]
    cfg = config_from_dict(data)
    ds = PatchDataset(cfg, load_training_images(cfg))
    assert ds.grid == 16 and ds[(0, 1)][0].shape == (3, 16, 16)
    data["data"]["patch_size"] = 24
    with pytest.raises(scn.errors.ConfigError, match="multiple of 16"):
        config_from_dict(data)


def test_validation_on_a_step_that_is_not_logged(tmp_path: Path) -> None:
    """val_every not a multiple of log_every: the validation row has no loss but its time, and the plot is made."""
    cfg = write_config(tmp_path, tiny_config(tmp_path, "denoise", steps=7, val_every=3, log_every=2))
    out = tmp_path / "run"
    assert main(["train", str(cfg), "--out", str(out), "--no-progress"]) == 0
    rows = read_log(out / "log.csv")
    val_only = [r for r in rows if r["val_psnr"] and not r["loss"]]
    assert [r["step"] for r in val_only] == ["3"] and val_only[0]["seconds"]  # steps 6 and 7 are logged too
    assert (out / "curves.png").stat().st_size > 1000


def test_curves_leave_out_a_degraded_input_far_below_a_fine_tunes_flat_curve(tmp_path: Path) -> None:
    assert baseline_in_view([25.1, 30.2, 32.0], [20.8] * 3)  # from scratch: the input is in view
    assert not baseline_in_view([32.060, 32.071, 32.077], [20.82] * 3)  # a fine-tune: 11 dB below a 0.02 dB curve
    log = tmp_path / "log.csv"
    log.write_text("step,epoch,loss,lr,val_psnr,val_baseline_psnr,seconds\n"
                   "25,0.0,0.021,7e-5,,,40.0\n500,0.1,0.020,6e-5,32.0604,20.8223,870.0\n"
                   "1000,0.2,0.019,5e-5,32.0705,20.8223,2060.0\n")
    assert plot_curves(log, tmp_path / "curves.png").stat().st_size > 1000


@pytest.mark.parametrize("loss", ["l1", "l2"])
def test_train_loss_is_the_configured_one(tmp_path: Path, loss: str) -> None:
    """train.loss picks what a step minimises: the step's returned loss is that function of the pre-step output."""
    from scn.training.loop import Trainer

    trainer = Trainer(config_from_dict(tiny_config(tmp_path, "denoise", loss=loss)), tmp_path / "run")
    torch.manual_seed(0)
    x, y = torch.rand(2, 1, 16, 16), torch.rand(2, 1, 16, 16)
    with torch.no_grad():
        out = trainer.model(x)
        l1, l2 = float(torch.nn.functional.l1_loss(out, y)), float(torch.nn.functional.mse_loss(out, y))
    assert l1 != pytest.approx(l2, rel=1e-2)
    assert trainer.train_step(x, y, lr=1e-3, amp=False) == pytest.approx(l1 if loss == "l1" else l2, rel=1e-5)


@pytest.mark.parametrize("cpu_amp", [False, True])
def test_cpu_amp_runs_the_forward_in_bf16_and_keeps_weights_fp32(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   cpu_amp: bool) -> None:
    """train.cpu_amp: on the CPU a step's forward runs under bf16 autocast (its loss is the bf16 forward's, not
    the fp32 one's) while weights and Adam stay fp32; off (the default), the step is fp32. A run passes it on."""
    from scn.training.loop import Trainer

    trainer = Trainer(config_from_dict(tiny_config(tmp_path, "denoise", cpu_amp=cpu_amp)), tmp_path / "run")
    torch.manual_seed(0)
    x, y = torch.rand(2, 1, 16, 16), torch.rand(2, 1, 16, 16)
    with torch.no_grad():
        fp32 = float(torch.nn.functional.l1_loss(trainer.model(x), y))
        with torch.autocast("cpu", dtype=torch.bfloat16):
            bf16 = float(torch.nn.functional.l1_loss(trainer.model(x).float(), y))
    assert bf16 != fp32 and bf16 == pytest.approx(fp32, rel=2e-2)
    assert trainer.train_step(x, y, lr=1e-3, amp=cpu_amp) == pytest.approx(bf16 if cpu_amp else fp32, rel=1e-6)
    assert {p.dtype for p in trainer.model.parameters()} == {torch.float32}
    assert {s["exp_avg"].dtype for s in trainer.optimizer.state.values()} == {torch.float32}

    seen: list[bool] = []
    step = Trainer.train_step
    monkeypatch.setattr(Trainer, "train_step", lambda self, x, y, lr, amp: seen.append(amp) or step(self, x, y, lr, amp))
    Trainer(config_from_dict(tiny_config(tmp_path, "denoise", cpu_amp=cpu_amp, steps=2)), tmp_path / "run2").run()
    assert seen == [cpu_amp] * 2


def test_train_suggests_cpu_amp_where_the_cpu_has_amx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture) -> None:
    """With bf16 matrix units (AMX) and cpu_amp off, a finished `scn train` says the setting once, on stderr."""
    from scn.cli import train_cmd

    monkeypatch.setattr(train_cmd, "cpu_has_amx", lambda: True)
    for cpu_amp, said in [(False, True), (True, False)]:
        cfg = write_config(tmp_path, tiny_config(tmp_path, "denoise", cpu_amp=cpu_amp, steps=2), f"c{cpu_amp}.yaml")
        assert main(["train", str(cfg), "--out", str(tmp_path / f"run{cpu_amp}"), "--no-progress"]) == 0
        assert ("train.cpu_amp=true" in capsys.readouterr().err) == said


def test_train_warns_when_cpu_amp_would_be_emulated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture) -> None:
    """cpu_amp on a CPU with no bf16 instructions (10x slower than fp32 there): `scn train` says so before it starts."""
    from scn.cli import train_cmd

    for has_bf16, cpu_amp, said in [(False, True, True), (False, False, False), (True, True, False)]:
        monkeypatch.setattr(train_cmd, "cpu_has_bf16", lambda has=has_bf16: has)
        cfg = write_config(tmp_path, tiny_config(tmp_path, "denoise", cpu_amp=cpu_amp, steps=1), "c.yaml")
        assert main(["train", str(cfg), "--out", str(tmp_path / f"run{has_bf16}{cpu_amp}"), "--no-progress"]) == 0
        assert ("--set train.cpu_amp=false" in capsys.readouterr().err) == said


def test_train_threads_never_exceed_the_cpus_the_process_may_run_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture) -> None:
    """train.threads 2 on one pinned core (taskset) runs one thread and says so once: two threads on one core made a
    step 3x slower. Within the CPUs it may use, the config's count holds, silently."""
    from scn.training import loop

    before = torch.get_num_threads()
    try:
        for cpus, threads, ran, said in [({0}, 2, 1, True), ({0, 1}, 2, 2, False), ({0, 1}, 1, 1, False)]:
            monkeypatch.setattr(os, "sched_getaffinity", lambda pid, cpus=cpus: cpus, raising=False)
            config = config_from_dict(tiny_config(tmp_path, "denoise", threads=threads))
            loop.Trainer(config, tmp_path / f"r{len(cpus)}{threads}", progress=False)
            assert torch.get_num_threads() == ran
            assert ("train.threads is 2 but this process may run on 1 CPU; using 1" in capsys.readouterr().err) == said
    finally:
        torch.set_num_threads(before)


def test_exponent_numbers_without_a_dot_are_numbers(tmp_path: Path) -> None:
    """YAML 1.1 reads 1e-4 as a string; a config (or --set) that writes it so means the number."""
    data = tiny_config(tmp_path, lr="1e-4", steps="2E1")
    data["train"]["betas"] = ["9e-1", 0.999]
    cfg = config_from_dict(data)
    assert cfg.train.lr == 1e-4 and cfg.train.steps == 20 and cfg.train.betas == [0.9, 0.999]
    with pytest.raises(scn.ConfigError, match="train.steps='1.5e0' must be of type int"):
        config_from_dict(tiny_config(tmp_path, steps="1.5e0"))
    with pytest.raises(scn.ConfigError, match="must be of type float"):
        config_from_dict(tiny_config(tmp_path, lr="fast1e-4"))


def test_holdout_pictures_validate_and_never_train(tmp_path: Path) -> None:
    from scn.training.config import holdout_files

    data = tiny_config(tmp_path, task="denoise")
    train_folder = Path(data["data"]["train"][0])
    held = ["img1.png", "img3.png"]
    data["data"].update(holdout=[f"{train_folder.name}/{n}" for n in held], val=["holdout"])
    cfg = config_from_dict(data)
    images = load_training_images(cfg)
    assert len(images) == 2  # 4 pictures, 2 held out
    gray = [np.asarray(Image.open(train_folder / n).convert("L")) for n in held]
    assert not any(np.array_equal(img, g) for img in images for g in gray)
    out = tmp_path / "run"
    assert main(["train", str(write_config(tmp_path, data)), "--out", str(out), "--no-progress"]) == 0
    assert any(r["val_psnr"] for r in read_log(out / "log.csv"))  # validated on the held-out pictures
    webp_folder = tmp_path / "webp" / train_folder.name  # the packed GPU data's lossless copies stand in
    webp_folder.mkdir(parents=True)
    for png in train_folder.glob("*.png"):
        Image.open(png).save(webp_folder / f"{png.stem}.webp", lossless=True)
    packed = config_from_dict({**data, "data": {**data["data"], "train": [str(webp_folder)]}})
    assert [p.name for p in holdout_files(packed)] == ["img1.webp", "img3.webp"]
    assert len(load_training_images(packed)) == 2
    data["data"]["holdout"] = [f"{train_folder.name}/nope.png"]
    with pytest.raises(scn.ConfigError, match="not a picture of the training folders"):
        load_training_images(config_from_dict(data))
    data["data"]["holdout"] = []
    with pytest.raises(scn.ConfigError, match="lists no pictures"):
        config_from_dict(data)


@needs_shared
def test_no_training_stage_reads_its_validation_pictures() -> None:
    """Every committed config that validates on held-out pictures (data.val: [holdout]) trains on none of them."""
    from scn.training.config import holdout_files
    from scn.training.data import training_files

    checked = 0
    for path in sorted((ROOT / "configs").rglob("*.yaml")):
        config = load_config(path)
        if "holdout" in config.data.val:
            held = {p.resolve() for p in holdout_files(config)}
            assert held and not held & {p.resolve() for p in training_files(config)}, path
            checked += 1
    assert checked >= 1


def test_a_noise_map_denoiser_trains_on_patches_told_their_level_and_validates(tmp_path: Path) -> None:
    """model `noise_map`: each degraded patch comes with one more channel, sigma / 255 everywhere, the sigma its
    noise was drawn with (the picture channels exactly as without the map); training and validation run."""
    data = tiny_config(tmp_path, "denoise", steps=4, val_every=4)
    colour = make_images(tmp_path / "colour")
    data["model"]["name"] = "scn_denoise_rgb"
    data["data"]["train"] = data["data"]["val"] = [str(colour)]
    data["task"]["sigma"] = [0, 75]
    plain = config_from_dict(data)
    data["model"]["overrides"] = {"noise_map": True}
    cfg = config_from_dict(data)
    images = load_training_images(cfg)
    for key in [(0, i) for i in range(6)]:
        (x, y), (x0, y0) = PatchDataset(cfg, images)[key], PatchDataset(plain, images)[key]
        assert x.shape == (4, 16, 16) and torch.equal(x[:3], x0) and torch.equal(y, y0)
        level = float(x[3, 0, 0]) * 255
        assert torch.all(x[3] == x[3, 0, 0]) and 0 <= level <= 75
        assert abs(float((x[:3] - y).std()) * 255 - level) < 0.25 * level + 2  # the noise has that strength
    out = tmp_path / "run"
    assert main(["train", str(write_config(tmp_path, data)), "--out", str(out), "--no-progress"]) == 0
    model = scn.load_model(out / "final.safetensors")
    assert model.config.noise_map and model.head.in_channels == 4
    assert float(read_log(out / "log.csv")[-1]["val_psnr"]) > 0


def test_a_blind_denoiser_grown_a_noise_map_starts_as_itself_at_every_level() -> None:
    """train.init of a shipped colour denoiser into the same network with `noise_map`: the map's weights start at
    zero, so at step 0 it restores exactly as the blind one, whatever level it is told."""
    from scn.archs import with_noise_map
    from scn.models import create_model
    from scn.training.loop import init_from
    from scn.training.starts import noise_map_from_blind
    from scn.zoo import WEIGHTS_DIR

    path = WEIGHTS_DIR / "scn_denoise_rgb.safetensors"  # the file's former name: it still resolves
    blind = scn.resolve(path).load().eval()
    grown = create_model("scn_small_denoise_rgb", **{**blind.config.to_dict(), "noise_map": True}).eval()
    assert init_from(grown, str(path)) == []
    x = torch.rand(1, 3, 40, 48, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        want = blind(x)
        for sigma in (0.0, 25.0, 75.0):
            torch.testing.assert_close(grown(with_noise_map(x, sigma)), want, atol=1e-5, rtol=0)
    with pytest.raises(ValueError, match="noise-level input"):
        noise_map_from_blind(grown, blind)
    with pytest.raises(scn.ConfigError, match="applies to task 'denoise' only"):
        create_model("scn_small_jpeg", noise_map=True)


def test_a_denoiser_told_the_level_moved_to_another_map_gain_computes_the_same_at_every_level() -> None:
    """train.init of the shipped conditioned colour denoiser into the same network with another noise_map_gain
    (8 from 1, or 1 from 8 for the gain-8 stages shipped since): the map's weight is scaled by the gains' ratio, so
    at step 0 it restores exactly as before at every level, and the gain is really applied (the map's weight moved
    alone changes the output)."""
    from scn.archs import with_noise_map
    from scn.models import create_model
    from scn.training.loop import init_from
    from scn.checkpoint import read_config, read_metadata
    from scn.training.starts import noise_map_regained
    from scn.zoo import WEIGHTS_DIR

    source = scn.resolve("scn_denoise_rgb.sigma").load().eval()
    path = WEIGHTS_DIR / "scn_denoise_rgb.sigma.safetensors"
    metadata = read_metadata(path)
    written_before = {k: v for k, v in json.loads(metadata["config"]).items() if k != "noise_map_gain"}
    older = read_config(path, {**metadata, "config": json.dumps(written_before)})
    assert older.noise_map_gain == 1.0  # files written before the field read as gain 1
    other_gain = 8.0 if source.config.noise_map_gain == 1.0 else 1.0
    gained = create_model("scn_denoise_rgb", **{**source.config.to_dict(), "noise_map_gain": other_gain}).eval()
    assert init_from(gained, source) == []
    x = torch.rand(1, 3, 40, 48, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        for sigma in (0.0, 15.0, 50.0):
            torch.testing.assert_close(gained(with_noise_map(x, sigma)), source(with_noise_map(x, sigma)),
                                       atol=1e-5, rtol=0)
        plain = create_model("scn_denoise_rgb", **source.config.to_dict()).eval()
        plain.load_state_dict(gained.state_dict())  # the rescaled weights without the gain: another output
        assert (plain(with_noise_map(x, 50.0)) - source(with_noise_map(x, 50.0))).abs().max() > 1e-4
    with pytest.raises(ValueError, match="noise_map_gain"):
        noise_map_regained(source, plain)
    with pytest.raises(scn.ConfigError, match="noise_map_gain=0.0 is not allowed"):
        create_model("scn_denoise_rgb", noise_map=True, noise_map_gain=0.0)
    with pytest.raises(scn.ConfigError, match="1 without noise_map"):
        create_model("scn_denoise_rgb", noise_map_gain=2.0)


def test_train_init_takes_a_shipped_name_and_checks_its_checksum(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """train.init names shipped weights (`scn models --pretrained`): training starts from them exactly; a shipped
    file that fails its sha256 stops the run with the one-line checksum error before any step."""
    import json
    import scn.zoo as zoo
    from scn.training.loop import Trainer

    data = tiny_config(tmp_path, "denoise", steps=1)
    data["model"] = {"name": "scn_small_denoise", "overrides": {"align_corners": False}}
    data["train"]["init"] = "scn_small_denoise.blind"
    trainer = Trainer(config_from_dict(data), tmp_path / "run", progress=False)
    shipped = scn.resolve("scn_small_denoise.blind").load()
    for name, value in shipped.state_dict().items():
        assert torch.equal(trainer.model.state_dict()[name].cpu(), value), name
    folder = tmp_path / "weights"
    folder.mkdir()
    manifest = json.loads((zoo.WEIGHTS_DIR / "manifest.json").read_text())
    entry = next(e for e in manifest["models"] if e["name"] == "scn_small_denoise.blind")
    damaged = bytearray((zoo.WEIGHTS_DIR / entry["file"]).read_bytes())
    damaged[-100] ^= 0xFF
    (folder / entry["file"]).write_bytes(bytes(damaged))
    (folder / "manifest.json").write_text(json.dumps({"models": [entry]}))
    monkeypatch.setattr(zoo, "WEIGHTS_DIR", folder)
    with pytest.raises(zoo.ZooError, match="fail their checksum"):
        Trainer(config_from_dict(data), tmp_path / "run2", progress=False)
