#!/usr/bin/env bash
# One prepared GPU lease for the SCN-vs-WDSR question (docs/experiments.md): the CUDA check first (the packed
# operator's exactness tests and the eager speed ratios of scripts/gpu_check.sh, without the compiled rows), then
# `scn experiments run pair --budget paper-size` (the paper's ablation size: 8 blocks x 32 features, 48-pixel
# patches, 6,000 steps; SCN and WDSR, reference init and identity start, 2 seeds: 8 runs side by side), then, if
# the time left allows, the factorial's other x2 cells at that size. Everything stops at a deadline (running units
# checkpoint and are reported unfinished). Results (records, logs, the check's numbers) come back as tar files.
#
#   bash scripts/pack_gpu_data.sh sr     # here, then carry gpu_data with the run
#   OUT=/some/folder DEADLINE=560 bash scripts/gpu_pair.sh
#
# DEVICE=cpu BUDGET=toy SKIP_CHECK=1 tries the whole recipe out on a CPU in a minute. EXPERIMENT, VARIANTS, SEEDS
# and JOBS choose the first suite instead (e.g. EXPERIMENT=factorial VARIANTS="scn_id wdsr" SEEDS=4: the runs the
# committed records hold are reused, so only the new seeds train); SKIP_SPEED=1 keeps the check to exactness.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-gpu_pair}
deadline=${DEADLINE:-560}
budget=${BUDGET:-paper-size}
device=${DEVICE:-cuda}
started=$(date +%s)
left() { echo $((deadline - ($(date +%s) - started))); }
source scripts/gpu_env.sh
export PYTHONUNBUFFERED=1
work=${WORK:-/tmp/scn_gpu_pair}
rm -rf "$work" && mkdir -p "$work/check"

if [ -z "${SKIP_CHECK:-}" ]; then
    { nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv; nproc; } >> "$out/device.txt" 2>&1
    timeout 90 "$PY" -m pytest -q -p no:cacheprovider tests/test_packed.py tests/test_scale_conv.py \
        -k "cuda or equals_literal_equation" > "$work/check/exactness.txt" 2>&1
    tail -n 5 "$work/check/exactness.txt"
    [ -n "${SKIP_SPEED:-}" ] || timeout 130 "$PY" benchmarks/speed_ratio.py --device cuda --repeats 10 --no-compile \
        --json "$work/check/speed_ratio.json" > "$work/check/speed_ratio.txt" 2>&1
    tail -n 30 "$work/check/speed_ratio.txt" 2>/dev/null
fi

suite="$work/suite"
run_suite() {  # NAME SECONDS [options]: stop at SECONDS (TERM: every unit checkpoints), then reap
    local name=$1 seconds=$2
    shift 2
    echo "== $name: $seconds s (at $(($(date +%s) - started)) s)"
    timeout -s TERM -k 40 "$seconds" "$PY" -m scn experiments run "$name" --budget "$budget" --device "$device" \
        --out "$suite" --no-progress "$@" 2>&1 | tee -a "$work/suite.txt"
}
t0=$(date +%s)
experiment=${EXPERIMENT:-pair}
run_suite "$experiment" $(($(left) - 60)) --seeds "${SEEDS:-2}" --jobs "${JOBS:-8}" --tasks sr \
    ${VARIANTS:+--variants $VARIANTS}
first=$(($(date +%s) - t0))
# the factorial's other x2 cells (res2, zero ends, matched), if they fit at the pair's pace (10 runs vs 8)
if [ "$experiment" = pair ] && [ $(($(left) - 60)) -gt $((first * 3 / 2)) ]; then
    run_suite factorial $(($(left) - 60)) --tasks sr --seeds 2 --jobs 10
fi
echo "== report at $(($(date +%s) - started)) s"
"$PY" -m scn experiments report "$suite" --doc "$work/experiments.md" > "$work/report.txt" 2>&1 || true
for unit in "$suite"/runs/*; do  # what the unfinished ones got to
    [ -f "$unit/result.json" ] || echo "unfinished: $(basename "$unit") at step $(tail -n 1 "$unit/log.csv" 2>/dev/null | cut -d, -f1)"
done | tee -a "$work/suite.txt"
tar -czf "$out/records.tgz" -C "$work" check suite.txt report.txt experiments.md experiments \
    --exclude='*.safetensors' --exclude=checkpoint.pt --exclude=tb 2>/dev/null
tar -czf "$out/runs.tgz" -C "$work" --exclude='*.safetensors' --exclude=checkpoint.pt --exclude=tb suite
echo "done at $(($(date +%s) - started)) s"; ls -la "$out"
