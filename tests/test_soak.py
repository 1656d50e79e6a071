"""`scn serve` under load: 16 clients for 20 s mixing good pictures, bad files, oversized bodies, slow and dropped
uploads and unknown job ids (benchmarks/soak_serve.py; its long run is in docs/restore.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from soak_serve import soak  # noqa: E402


def test_sixteen_clients_for_twenty_seconds(capfd: pytest.CaptureFixture[str]) -> None:
    report = soak(20, clients=16, seed=3)
    assert report.problems == [], report.problems[:5]
    assert report.unfinished == 0 and report.jobs > 20
    assert sum(report.requests.values()) > 100 and len(report.requests) == 7  # every kind of request was made
    assert report.rss_end_mb - report.rss_warm_mb < 150, report.summary()
    out, err = capfd.readouterr()
    assert err == "", err[:500]  # clients hanging up mid-upload leave no traceback on the server's terminal


def test_listening_beyond_this_computer_warns_in_one_line() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "scn.cli.main", "serve", "--host", "0.0.0.0", "--port", "0"],
                            stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stderr.readline() if proc.stderr else ""
        assert first.startswith("scn serve: warning: listening on 0.0.0.0") and "no authentication" in first
    finally:
        proc.terminate()
        proc.wait(timeout=30)
