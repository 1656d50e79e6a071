#!/usr/bin/env bash
# One prepared GPU check: the packed operator's exactness tests on CUDA, then the SCN / WDSR speed ratios
# (benchmarks/speed_ratio.py). Runs from a bare machine with torch and pytest (no network, no pip: the package is
# imported from this checkout through PYTHONPATH). About 3-4 minutes on one H200. Output in ${OUT:-gpu_check}/.
#
#   OUT=/some/folder bash scripts/gpu_check.sh [benchmark options, e.g. --operators packed]
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-gpu_check}
mkdir -p "$out"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
PY=${PYTHON:-python3}
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv; \
  "$PY" -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda)"; } > "$out/device.txt" 2>&1
cat "$out/device.txt"
timeout 150 "$PY" -m pytest -q -p no:cacheprovider tests/test_packed.py tests/test_scale_conv.py \
    -k "cuda or equals_literal_equation" 2>&1 | tail -n 25 | tee "$out/exactness.txt"
# eager rows, ops and kernel counts first; then the compiled rows on their own (a slow compile cannot cost the rest)
timeout 200 "$PY" benchmarks/speed_ratio.py --device cuda --repeats 10 --no-compile \
    --json "$out/speed_ratio.json" "$@" 2>&1 | tee "$out/speed_ratio.txt"
timeout 150 "$PY" benchmarks/speed_ratio.py --device cuda --repeats 10 --skip ops \
    --json "$out/speed_ratio_compiled.json" "$@" 2>&1 | tee "$out/speed_ratio_compiled.txt"
echo "results in $out/"
