"""Shared helpers: tiny versions of every architecture, so tests run in seconds on two cores."""

from __future__ import annotations

import pytest
import torch

TINY = dict(num_blocks=2, num_features=8, width=2)


@pytest.fixture(autouse=True)
def _seed_and_threads() -> None:
    torch.manual_seed(0)
    torch.set_num_threads(2)
