#!/usr/bin/env bash
# Train on one CUDA GPU for a wall-clock budget and leave weights, log and plot in an output folder. Runs on a bare,
# offline machine: no pip (the package is imported from this checkout through PYTHONPATH; torch, numpy, Pillow,
# scipy, safetensors, tqdm, pyyaml and matplotlib must be there), and the data taken from gpu_data/ (made by
# scripts/pack_gpu_data.sh and carried with the checkout) when ../shared is not there. docs/training.md has the
# whole recipe.
#
#   bash scripts/gpu_train.sh CONFIG BUDGET_SECONDS OUT_DIR [--set key=value ...]
#
# e.g.  bash scripts/gpu_train.sh configs/cpu/sr_x2.yaml 540 "$OUT/sr_x2" --set data.workers=8
# The schedule is scaled to the budget (scn train --time-budget): after 20 steps the total number of steps is set
# so the run ends in time, and the LR schedule follows that total. AMP (bf16) and channels_last are on for CUDA.
# DEVICE=cpu runs the same recipe on a CPU (to try it out).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 3 ] || { echo "usage: $0 CONFIG BUDGET_SECONDS OUT_DIR [--set key=value ...]" >&2; exit 2; }
config=$1 budget=$2 out=$3
shift 3
source scripts/gpu_env.sh
"$PY" -m scn.cli.main train "$config" --out "$out" --device "${DEVICE:-cuda}" --time-budget "$budget" --no-progress "$@" \
    2>&1 | tee "$out/train.txt"
