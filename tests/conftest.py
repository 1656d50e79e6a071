"""Shared helpers: tiny versions of every architecture, so tests run in seconds on two cores."""

from __future__ import annotations

import pytest
import torch

TINY = dict(num_blocks=2, num_features=8, width=2)


@pytest.fixture(autouse=True)
def _seed_and_threads() -> None:
    torch.manual_seed(0)
    torch.set_num_threads(2)


SHARED = __import__("pathlib").Path(__file__).resolve().parents[2] / "shared"
needs_shared = pytest.mark.skipif(not (SHARED / "datasets").is_dir(),
                                  reason="../shared (test sets, MATLAB-made LR images, peer weights) is absent")
