"""Write a run's raw (non-EMA) weights next to its EMA ones, for comparisons that should not depend on the EMA:
RUN/checkpoint.pt's model -> runs/NAME_raw.safetensors, RUN/final.safetensors -> runs/NAME_ema.safetensors.

    .venv/bin/python scripts/raw_weights.py runs/cmp_scn_x2 runs/cmp_wdsr_x2
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import scn
from scn.training.loop import raw_weights


def main(runs: list[str]) -> None:
    for run in map(Path, runs):
        scn.save_model(raw_weights(run), run.parent / f"{run.name}_raw.safetensors",
                       notes=f"{run.name}: raw weights, last step")
        shutil.copy(run / "final.safetensors", run.parent / f"{run.name}_ema.safetensors")


if __name__ == "__main__":
    main(sys.argv[1:])
