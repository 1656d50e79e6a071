#!/usr/bin/env bash
# The colour denoiser's tables (docs/restore.md, issue 34): MODEL told the true sigma and estimating it, against
# colour BM3D, on Kodak24, Set5 and Set14 at sigma 15 / 25 / 50, with unclipped noise and with the noisy pictures
# clipped and rounded to 8 bits (--clip). BM3D is scored once: its per-picture rows live in docs/scores/ and are
# measured (pip install bm3d; 56-60 min a protocol on one thread of an Intel Xeon) only where that file is missing.
#   scripts/denoise_rgb_scores.sh [MODEL] [OUT] [unclipped] [clip]
# MODEL: a shipped name or a checkpoint (default scn_denoise_rgb.sigma); OUT: where the model's JSONs go
# (default runs/denoise_rgb_scores). MODEL restores each picture twice (told, estimating): run the two protocols at
# once (one per core) by giving one protocol per call. Needs ../shared (the test sets).
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${1:-scn_denoise_rgb.sigma}
OUT=${2:-runs/denoise_rgb_scores}
shift $(( $# < 2 ? $# : 2 ))
PROTOCOLS=${*:-unclipped clip}
mkdir -p "$OUT"
for protocol in $PROTOCOLS; do
    case $protocol in
        unclipped) clip=(); suffix="" ;;
        clip) clip=(--clip); suffix=_clip ;;
        *) echo "scripts/denoise_rgb_scores.sh: unknown protocol '$protocol' (unclipped or clip)" >&2; exit 2 ;;
    esac
    common=(--task denoise --sigma 15 25 50 --color "${clip[@]}" --data Kodak24 Set5 Set14 --no-progress)
    bm3d=docs/scores/colour_bm3d$suffix.json
    [ -f "$bm3d" ] || .venv/bin/scn benchmark "${common[@]}" --method bm3d --json "$bm3d"
    .venv/bin/scn benchmark "${common[@]}" --method "$MODEL" --estimated-sigma --rows-from "$bm3d" --versus bm3d \
        --json "$OUT/$(basename "${MODEL%.safetensors}")$suffix.json"
done
