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
