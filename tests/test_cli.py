"""The `scn` command line: `models`, `info`, and one-line errors with a non-zero exit."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import scn
from scn.cli.main import main
from conftest import TINY


def test_models_json_lists_every_registered_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == scn.model_names()
    by_name = {r["name"]: r for r in rows}
    assert by_name["scn_x2"]["params"] == 1_224_916 and by_name["scn_x2"]["task"] == "sr"
    assert by_name["scn_x4"]["scale"] == 4 and by_name["scn_denoise"]["scale"] == 1
    assert {"name", "task", "scale", "params", "macs_per_pixel"} <= set(rows[0])


def test_models_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--filter", "wdsr_x"]) == 0
    out = capsys.readouterr().out
    assert "1,190,100" in out and "scn_x2" not in out


def test_info_on_name_and_checkpoint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", "scn_x3", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["params"] == 1_230_421
    path = scn.save_model(scn.create_model("scn_x2", **TINY), tmp_path / "m.safetensors", notes="hello")
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "hello" in out and "num_blocks: 2" in out


@pytest.mark.parametrize("args,match", [
    (["info", "scn_x9"], "unknown model 'scn_x9'"),
    (["info", "missing.safetensors"], "no such checkpoint"),
])
def test_errors_are_one_line_without_traceback(args: list[str], match: str, tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "scn.cli.main", *args], capture_output=True, text=True,
                          cwd=tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and match in lines[0] and "Traceback" not in proc.stderr


def test_progress_in_a_log_is_a_line_at_start_every_interval_and_end() -> None:
    import io

    from scn.progress import Progress

    log = io.StringIO()  # not a terminal
    bar = Progress(3, "work", "items", stream=log, every=0)
    for _ in range(3):
        bar.update(1)
    bar.set_postfix(loss="0.1")
    bar.close()
    lines = log.getvalue().splitlines()
    assert lines[0].startswith("work: 0/3 items (0%)") and lines[-1].startswith("work: 3/3 items (100%)")
    assert len(lines) == 5 and "loss=0.1" in lines[-1]
    quiet = io.StringIO()
    bar = Progress(3, "work", stream=quiet, every=30)
    bar.update(3)
    bar.close()
    assert len(quiet.getvalue().splitlines()) == 2  # the start and the end only, within 30 s
    silent = io.StringIO()
    Progress(3, "work", enabled=False, stream=silent).close()
    assert silent.getvalue() == ""


def test_benchmark_reports_progress_in_a_log(tmp_path: Path) -> None:
    from PIL import Image

    rng = __import__("numpy").random.default_rng(0)
    (tmp_path / "set").mkdir()
    Image.fromarray((rng.random((40, 40)) * 255).astype("uint8")).save(tmp_path / "set" / "a.png")
    proc = subprocess.run([sys.executable, "-m", "scn.cli.main", "benchmark", "--task", "denoise", "--sigma", "25",
                           "--data", str(tmp_path / "set"), "--method", "identity"], capture_output=True, text=True)
    assert proc.returncode == 0 and "benchmark denoise: 1/1 images (100%)" in proc.stderr


def test_every_option_of_every_command_has_help() -> None:
    from scn.cli.main import build_parser

    parser = build_parser()
    missing = []
    for action in parser._actions:
        for name, sub in (action.choices or {}).items() if isinstance(action.choices, dict) else ():
            missing += [f"{name} {'/'.join(a.option_strings)}" for a in sub._actions
                        if a.option_strings and a.help is None]
    assert missing == []
