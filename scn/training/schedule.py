"""Learning-rate schedules as a factor of the run's progress (0..1), so each scales to any run length."""

from __future__ import annotations

import math


def lr_factor(schedule: str, progress: float) -> float:
    """paper: 40 epochs, halve every 3 epochs after the 25th; reference: x0.2 at 20/30 and again at 25/30;
    cosine: half a cosine to 0; constant: 1."""
    p = min(max(progress, 0.0), 1.0)
    if schedule == "paper":
        epoch = p * 40
        return 1.0 if epoch < 25 else 0.5 ** (1 + math.floor((epoch - 25) / 3))
    if schedule == "reference":
        epoch = p * 30
        return 1.0 if epoch < 20 else (0.2 if epoch < 25 else 0.04)
    if schedule == "cosine":
        return 0.5 * (1 + math.cos(math.pi * p))
    return 1.0
