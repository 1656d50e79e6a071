#!/usr/bin/env bash
# The colour models of issue 16 at the reference size, trained side by side on one CUDA GPU and scored on colour
# Set5 + Set14 (RGB PSNR), on a bare offline machine (the package from this checkout through PYTHONPATH, the data
# from gpu_data/ made by `bash scripts/pack_gpu_data.sh colour` and carried with the checkout). Each run gets
# BUDGET_SECONDS of training (the schedule scaled to it); scoring adds about a minute. Weights, logs and scores in
# OUT_DIR/<run>/; colour BM3D (CPU-bound, not run here) scores 31.75 / 30.76 at sigma 25 (docs/restore.md).
#
#   bash scripts/gpu_colour.sh OUT_DIR [BUDGET_SECONDS (default 420)] [RUN ...]
#   runs: denoise_s25 denoise_blind jpeg_blind (default: all three)
# DEVICE=cpu tries the recipe out on a CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: $0 OUT_DIR [BUDGET_SECONDS] [denoise_s25 denoise_blind jpeg_blind]" >&2; exit 2; }
out=$1 budget=${2:-420}
shift $(($# >= 2 ? 2 : 1))
runs=("$@")
[ ${#runs[@]} -gt 0 ] || runs=(denoise_s25 denoise_blind jpeg_blind)
source scripts/gpu_env.sh
device=${DEVICE:-cuda} workers=${WORKERS:-4} test=${SCN_SHARED:-../shared}/datasets/test
declare -A config=([denoise_s25]=configs/zoo/denoise_rgb_blind.yaml [denoise_blind]=configs/zoo/denoise_rgb_blind.yaml
                   [jpeg_blind]=configs/zoo/jpeg_rgb_blind.yaml)
declare -A extra=([denoise_s25]="--set task.sigma=25 --set data.gray_fraction=0.15" [denoise_blind]=""
                  [jpeg_blind]="")
declare -A score=([denoise_s25]="--task denoise --sigma 25" [denoise_blind]="--task denoise --sigma 15 25 50"
                  [jpeg_blind]="--task jpeg --quality 10 20 30 40")
for run in "${runs[@]}"; do
    [ -n "${config[$run]:-}" ] || { echo "unknown run $run: take denoise_s25, denoise_blind or jpeg_blind" >&2; exit 2; }
    mkdir -p "$out/$run"
    # shellcheck disable=SC2086
    "$PY" -m scn.cli.main train "${config[$run]}" --out "$out/$run" --device "$device" --time-budget "$budget" \
        --no-progress --set data.workers="$workers" ${extra[$run]} > "$out/$run/train.txt" 2>&1 &
done
status=0
wait || status=$?
for run in "${runs[@]}"; do
    [ -f "$out/$run/final.safetensors" ] || { echo "$run: no final.safetensors (see $out/$run/train.txt)"; status=1; continue; }
    # shellcheck disable=SC2086
    "$PY" -m scn.cli.main benchmark ${score[$run]} --color --data "$test/Set5" "$test/Set14" --device "$device" \
        --method identity "$out/$run/final.safetensors" --json "$out/$run/scores.json" --no-progress \
        2>&1 | tee "$out/$run/scores.txt" || status=1
    rm -f "$out/$run/checkpoint.pt"
done
exit $status
