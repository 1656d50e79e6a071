"""The README's `scn restore / serve / models / benchmark` lines run as written: each is read from the README's
Use block and run in a folder holding the small pictures it names, with the test sets it names made small
(`$SCN_SHARED`), so a newcomer's first commands cannot rot."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from scn.data.samples import demo_photo

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = ("restore", "serve", "models", "benchmark")


def readme_commands() -> list[str]:
    """The `scn restore / serve / models / benchmark` lines of the README's Use block, comments dropped."""
    text = (ROOT / "README.md").read_text()
    block = re.search(r"## Use\s+```bash\n(.*?)```", text, re.S)
    assert block, "the README has no Use block"
    lines = [line.split("#", 1)[0].strip() for line in block.group(1).splitlines()]
    return [line for line in lines if line.split()[:2] in (["scn", c] for c in COMMANDS)]


def test_the_readme_names_the_commands_a_newcomer_runs() -> None:
    found = {line.split()[1] for line in readme_commands()}
    assert found == set(COMMANDS)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pictures the README's lines name, small: photo.jpg, old.jpg (blocky), scans/ (gray); and tiny
    Set5 / Set14 under a data root the benchmark finds them in."""
    here = tmp_path_factory.mktemp("readme")
    photo = demo_photo()
    Image.fromarray(photo[100:164, 120:200]).save(here / "photo.jpg", quality=95)
    Image.fromarray(photo[60:124, 40:120]).save(here / "old.jpg", quality=15)
    (here / "scans").mkdir()
    rng = np.random.default_rng(0)
    for i in range(2):
        gray = photo[30 * i: 30 * i + 48, 60:108].mean(axis=2) + rng.normal(0, 15, (48, 48))
        Image.fromarray(np.clip(gray, 0, 255).astype(np.uint8)).save(here / "scans" / f"scan{i}.png")
    for name, crops in {"Set5": 2, "Set14": 1}.items():
        folder = here / "data" / "datasets" / "test" / name
        folder.mkdir(parents=True)
        for i in range(crops):
            Image.fromarray(photo[48 * i: 48 * i + 48, 96:144]).save(folder / f"img{i}.png")
    return here


def run_line(line: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    args = shlex.split(line)
    env = {**os.environ, "SCN_SHARED": str(cwd / "data"), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "scn.cli.main", *args[1:], *(["--no-progress"] if args[1] in
                          ("restore", "benchmark") else [])], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.parametrize("line", [line for line in readme_commands() if not line.startswith("scn serve")])
def test_readme_line_runs_as_written(workdir: Path, line: str) -> None:
    proc = run_line(line, workdir)
    assert proc.returncode == 0, f"{line}\n{proc.stderr[-2000:]}"
    args = shlex.split(line)
    if args[1] == "restore":
        out = workdir / args[args.index("-o") + 1]
        assert out.exists() and (not out.is_dir() or any(out.iterdir())), line
    if args[1] == "benchmark":
        assert "scn" in proc.stdout.splitlines()[0] and "Set5" in proc.stdout, proc.stdout


def test_readme_serve_line_serves_the_page(workdir: Path) -> None:
    line = next(line for line in readme_commands() if line.startswith("scn serve"))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "scn.cli.main", *shlex.split(line)[1:], "--port", "0"],
                            cwd=workdir, env=env, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stderr.readline() if proc.stderr else ""
        address = re.search(r"http://[\d.]+:\d+/", first)
        assert address, first
        deadline = time.monotonic() + 30
        with urllib.request.urlopen(address.group(0), timeout=max(1.0, deadline - time.monotonic())) as reply:
            assert reply.status == 200 and b"<html" in reply.read().lower()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
