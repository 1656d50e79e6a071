#!/usr/bin/env bash
# One GPU lease spent on the colour sigma denoiser (issue 34): a training stage on CUDA for a wall-clock budget
# (configs/zoo/denoise_rgb_sigma_stage6_gpu.yaml by default: from the shipped weights, batch 16), its held-out
# scores at sigma 15 / 25 / 50 beside the shipped model's (the 12 BSD200 pictures of data.holdout), then the CUDA
# check (scripts/gpu_check.sh) in what time is left. Everything lands in OUT_DIR as two files: final.safetensors
# and run.tar.gz (log, curves, train.txt, holdout.txt/json, machine.txt, the check's results), within the device
# tool's eight files. Data from gpu_data/ (`bash scripts/pack_gpu_data.sh colour-train`, carried); about
# BUDGET + 200 s, so BUDGET 300 fits one 10-minute call with the check.
#
#   BUDGET=300 CHECK_S=140 bash scripts/gpu_sigma_stage.sh OUT_DIR [CONFIG]
# DEVICE=cpu WORKERS=1 BUDGET=40 PYTHON=.venv/bin/python tries it out on a CPU (no check there).
set -uo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: $0 OUT_DIR [CONFIG]" >&2; exit 2; }
o=$1 config=${2:-configs/zoo/denoise_rgb_sigma_stage6_gpu.yaml}
budget=${BUDGET:-300} device=${DEVICE:-cuda} workers=${WORKERS:-8} PY=${PYTHON:-python3}
[ -d gpu_data/datasets/train/BSD200 ] || { echo "no gpu_data/: run scripts/pack_gpu_data.sh colour-train" >&2; exit 2; }
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD" SCN_SHARED="$PWD/gpu_data"
w=$o/work holdout=$(mktemp -d)/holdout12  # the benchmark names a set by its folder
mkdir -p "$w/stage" "$holdout"
{ date; lscpu | grep 'Model name'; nvidia-smi --query-gpu=name,memory.total --format=csv 2>&1; } > "$w/machine.txt"
# the held-out pictures, by name from the config (found as the packed WebP copies)
"$PY" -c "from scn.training.config import load_config, holdout_files; import sys
[print(p) for p in holdout_files(load_config(sys.argv[1]))]" "$config" | xargs -I{} ln -s {} "$holdout/"
start=$(date +%s)
timeout $((budget + 150)) bash scripts/gpu_train.sh "$config" "$budget" "$w/stage" --device "$device" \
    --set data.workers="$workers" ${EXTRA:-} > /dev/null 2>&1
echo "train: exit $?, $(( $(date +%s) - start )) s" | tee -a "$w/machine.txt"
cp "$w/stage/final.safetensors" "$o/final.safetensors"
"$PY" -m scn.cli.main benchmark --task denoise --sigma 15 25 50 --color --data "$holdout" --device "$device" \
    --method "$o/final.safetensors" scn_denoise_rgb.sigma --no-progress --json "$w/holdout.json" 2>&1 \
    | tee "$w/holdout.txt"
echo "held-out scores: $(( $(date +%s) - start )) s" | tee -a "$w/machine.txt"
[ "$device" = cuda ] && OUT=$w/check timeout "${CHECK_S:-140}" bash scripts/gpu_check.sh > "$w/check.txt" 2>&1
tar czf "$o/run.tar.gz" -C "$o" --exclude 'checkpoint*' --exclude '*.safetensors' work && rm -rf "$w" "$(dirname "$holdout")"
