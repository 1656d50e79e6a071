"""Shared helpers: tiny versions of every architecture, so tests run in seconds on two cores."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import scn
from scn.cli.main import main
from scn.data.samples import demo_photo
from scn.experiments import BUDGETS, EXPERIMENTS, Budget

TINY = dict(num_blocks=2, num_features=8, width=2)
# inductor's pool of compile workers takes longer to start than the tests' tiny graphs take to compile in-process
# (test_compiled_restorer_equals_eager: 32 s with the pool, 12 s without, one core of an AMD EPYC)
os.environ.setdefault("TORCHINDUCTOR_COMPILE_THREADS", "1")


def threads_for_tests() -> int:
    """SCN_TEST_THREADS, else the usable cores shared among pytest-xdist's workers (at most 2, as CI has): one
    thread per worker where scripts/test.sh runs a worker per core."""
    if "SCN_TEST_THREADS" in os.environ:  # 1 beside a training pinned to a core
        return int(os.environ["SCN_TEST_THREADS"])
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1  # macOS
    return max(1, min(2, cores // workers))


@pytest.fixture(autouse=True)
def _seed_and_threads() -> None:
    torch.manual_seed(0)
    torch.set_num_threads(threads_for_tests())


SHARED = __import__("pathlib").Path(__file__).resolve().parents[2] / "shared"
needs_shared = pytest.mark.skipif(not (SHARED / "datasets").is_dir(),
                                  reason="../shared (test sets, MATLAB-made LR images, peer weights) is absent")


# -- the experiments' budget for tests ----------------------------------------------------------------------------
TOY_BUDGET = Budget("toy", "cpu", features=4, blocks=4, steps=6, batch=2, patch=16, jobs=2, threads=1, max_levels=2,
                    eval_levels=3, val_points=2, val_images=1)


@pytest.fixture
def toy() -> Budget:
    """The tests' budget (a few steps of tiny networks), known to `scn experiments` and its report while a test
    runs."""
    mp = pytest.MonkeyPatch()
    mp.setitem(BUDGETS, "toy", TOY_BUDGET)
    for name, experiment in list(EXPERIMENTS.items()):
        mp.setitem(EXPERIMENTS, name, dataclasses.replace(experiment, budgets=(*experiment.budgets, "toy")))
    yield TOY_BUDGET
    mp.undo()


# -- small trained models for the inference tests ------------------------------------------------------------------
def tame(model: scn.RestorationNet) -> scn.RestorationNet:
    """An untrained model whose residual branches are small, so it behaves like a trained one (smooth, stable);
    raw random SCNs amplify their input across blocks and are no fair test of tiling."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("conv2.weight_g") or (".taps." in name and name.endswith("weight_g")):
                p.mul_(0.1)
    return model.eval()


def quick_fit(model: scn.RestorationNet, steps: int = 150) -> scn.RestorationNet:
    """A few seconds of x2 training on the demo photo: enough for image-like, stable outputs (an untrained SCN
    is chaotic and no fair test of tiling)."""
    photo = demo_photo()
    lr = torch.from_numpy(scn.data.imresize(photo, 0.5).transpose(2, 0, 1) / 255.0).float()
    hr = torch.from_numpy(photo.transpose(2, 0, 1) / 255.0).float()
    rng = np.random.default_rng(0)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    for _ in range(steps):
        ys, xs = rng.integers(0, lr.shape[1] - 24, 8), rng.integers(0, lr.shape[2] - 24, 8)
        x = torch.stack([lr[:, y:y + 24, x:x + 24] for y, x in zip(ys, xs)])
        y = torch.stack([hr[:, 2 * y:2 * y + 48, 2 * x:2 * x + 48] for y, x in zip(ys, xs)])
        loss = torch.nn.functional.l1_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval()


@pytest.fixture(scope="session")
def sr_ckpt(tmp_path_factory) -> Path:
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("ckpt") / "sr_x2.safetensors"
    model = scn.create_model("scn_small_x2", num_blocks=4, num_features=16, align_corners=False)
    return scn.save_model(quick_fit(model), path)


@pytest.fixture(scope="session")
def denoise_ckpt(tmp_path_factory) -> Path:
    torch.manual_seed(1)
    path = tmp_path_factory.mktemp("ckpt") / "dn.safetensors"
    return scn.save_model(tame(scn.create_model("scn_denoise", **TINY)), path)


def cli(*args: str) -> subprocess.CompletedProcess:
    """`scn ARGS` as the console script runs it (`main`, argparse's exits included), in this process with its
    output captured: the exit code and text a subprocess gives, without the seconds each one spends importing
    torch. `cli_subprocess` (and test_cli's one-line-error test) run the real entry point."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as e:  # argparse: usage errors (2), --help and --version (0)
            code = e.code if isinstance(e.code, int) else int(e.code is not None)
    return subprocess.CompletedProcess(["scn", *args], code, out.getvalue(), err.getvalue())


def cli_subprocess(*args: str) -> subprocess.CompletedProcess:
    """`scn ARGS` in a process of its own: where a regression could take the test process down with it."""
    return subprocess.run([sys.executable, "-m", "scn.cli.main", *args], capture_output=True, text=True)


def photo_crop() -> np.ndarray:
    return demo_photo()[100:400, 150:410]  # 300x260 of a real photograph (matplotlib's sample data)

