#!/usr/bin/env bash
# Run `scn experiments` under the gpu budget on one CUDA GPU (runs side by side), on a bare offline machine: the
# package is imported from this checkout (PYTHONPATH, no install) and the data read from gpu_data/ (made by
# scripts/pack_gpu_data.sh, carried with the checkout) when ../shared is not there. The results (records, the
# page and its plots; no weights) are left in OUT_DIR.
#
#   bash scripts/gpu_experiments.sh OUT_DIR NAME... [--tasks sr] [--seeds 3] [--jobs 12]
#
# One carry holds the data of SR or of denoising + JPEG, not all three (scripts/pack_gpu_data.sh says so):
#   pack sr       -> bash scripts/gpu_experiments.sh "$OUT" table5 table4 table6 fig6 fig7 fig8 equal-budget --tasks sr
#   pack denoise jpeg -> bash scripts/gpu_experiments.sh "$OUT" equal-budget --tasks denoise jpeg
# BUDGET=toy DEVICE=cpu tries the recipe out on a CPU. Back here: scn experiments report OUT_DIR/suite (with the other runs) writes docs/experiments.md.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: $0 OUT_DIR NAME... [--tasks ...] [--seeds N] [--jobs N]" >&2; exit 2; }
out=$1
shift
source scripts/gpu_env.sh
status=0
/usr/bin/time -v "$PY" -m scn experiments run "$@" --budget "${BUDGET:-gpu}" --device "${DEVICE:-cuda}" --out "$out/suite" --no-progress \
    2>&1 | tee "$out/suite.txt" || status=$?
"$PY" -m scn experiments report "$out/suite" --doc "$out/experiments.md" || true
find "$out/suite/runs" \( -name '*.safetensors' -o -name checkpoint.pt -o -name tb \) -prune -exec rm -rf {} + 2>/dev/null || true
exit $status
