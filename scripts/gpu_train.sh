#!/usr/bin/env bash
# Train on one CUDA GPU for a wall-clock budget and leave weights, log and plot in an output folder.
#
#   bash scripts/gpu_train.sh CONFIG BUDGET_SECONDS OUT_DIR [--set key=value ...]
#
# e.g. on a lent H100:  bash scripts/gpu_train.sh configs/cpu/sr_x2.yaml 540 "$OUT/sr_x2" --set data.workers=8
# The schedule is scaled to the budget (scn train --time-budget): after 20 steps the total number of steps is set
# so the run ends in time, and the LR schedule follows that total. AMP (bf16) and channels_last are on for CUDA.
# Installs the package first where it is not importable (the device machine starts bare).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 3 ] || { echo "usage: $0 CONFIG BUDGET_SECONDS OUT_DIR [--set key=value ...]" >&2; exit 2; }
config=$1 budget=$2 out=$3
shift 3
PY=${PYTHON:-python3}
if ! "$PY" -c "import scn" 2>/dev/null; then
    "$PY" -m pip install --quiet --disable-pip-version-check --no-deps -e . \
        && "$PY" -m pip install --quiet --disable-pip-version-check safetensors tqdm pyyaml matplotlib pillow scipy
fi
mkdir -p "$out"
"$PY" -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')" | tee "$out/device.txt"
"$PY" -m scn.cli.main train "$config" --out "$out" --device cuda --time-budget "$budget" --no-progress "$@" \
    2>&1 | tee "$out/train.txt"
