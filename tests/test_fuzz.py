"""The image reading path `scn restore` and `scn serve` share, fuzzed: 2,000 mutated files (bit flips,
truncation, duplicated chunks / markers, huge length fields, changed dimensions) of every format and kind the
reader takes each end in a picture or a one-line error, quickly and quietly. benchmarks/fuzz_images.py is the
long run (docs/restore.md)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from fuzz_images import check_case, run, seed_files  # noqa: E402

REGRESSIONS = Path(__file__).parent / "data" / "fuzz"


def test_two_thousand_mutated_files_end_in_a_picture_or_one_line(capfd: pytest.CaptureFixture[str]) -> None:
    started = time.perf_counter()
    report = run(2000, seed=7)
    assert report.failures == [], report.failures[:5]
    assert report.cases == 2000 and report.pictures > 100 and sum(report.errors.values()) > 1000
    assert time.perf_counter() - started < 60 and report.slowest < 5
    out, err = capfd.readouterr()
    assert out == "" and err == "", (out + err)[:500]  # no warnings, no libtiff chatter around the one line


def test_every_seed_file_reads_as_a_picture(tmp_path: Path) -> None:
    for name, data in seed_files().items():
        (tmp_path / name).write_bytes(data)
        assert check_case(tmp_path / name) == "picture", name


@pytest.mark.parametrize("path", sorted(REGRESSIONS.glob("*")) if REGRESSIONS.is_dir() else [],
                         ids=lambda p: p.name)
def test_files_that_once_broke_the_reader(path: Path) -> None:
    """Each was a traceback once (seed1_case18867_rgb.tif: a TypeError inside Pillow's TIFF reader)."""
    outcome = check_case(path)
    assert outcome == "picture" or outcome.startswith("error: ")
