#!/usr/bin/env bash
# Score every shipped model beside the degraded input, the peers and (for SR) bicubic, on the dev sets of
# docs/model-zoo.md; writes zoo_scores/*.json and prints the tables. Needs ../shared (test sets, peer weights);
# BM3D needs `pip install bm3d`. About 10 minutes on 2 CPU cores.
set -euo pipefail
cd "$(dirname "$0")/.."
S=${SHARED:-../shared}/datasets/test
P=${SHARED:-../shared}/peers
OUT=${1:-zoo_scores}
mkdir -p "$OUT"
scn() { .venv/bin/scn "$@" --no-progress; }
scn benchmark --task sr --scale 2 3 4 --data $S/Set5 $S/Set14 --method bicubic imdn:$P/IMDN scn --json $OUT/sr.json
scn benchmark --task sr --scale 2 3 4 --data $S/Set5 $S/Set14 --method scn --ensemble --json $OUT/sr_ensemble.json
bm3d=$(.venv/bin/python -c "import bm3d" 2>/dev/null && echo bm3d || true)
scn benchmark --task denoise --sigma 15 25 50 --data $S/Set12 \
    --method identity dncnn:$P/DnCNN_SaoYan $bm3d scn_small_denoise.blind --json $OUT/denoise.json
scn benchmark --task denoise --sigma 25 --data $S/Set12 --method scn_small_denoise.s25 --json $OUT/denoise_s25.json
scn benchmark --task jpeg --quality 10 20 30 40 --data $S/Classic5 --method identity arcnn:$P/ARCNN scn_small_jpeg.blind \
    --json $OUT/jpeg.json
scn benchmark --task jpeg --quality 10 --data $S/Classic5 --method scn_small_jpeg.q10 --json $OUT/jpeg_q10.json
scn benchmark --task denoise --sigma 5 15 25 50 --color --data $S/Set5 $S/Set14 \
    --method identity scn_small_denoise_rgb.blind scn_small_denoise.blind --json $OUT/denoise_rgb.json
scn benchmark --task denoise --sigma 25 --color --data $S/Set5 $S/Set14 --method scn_small_denoise_rgb.s25 scn_denoise_rgb.s25 \
    --json $OUT/denoise_rgb_s25.json
scn benchmark --task jpeg --quality 10 20 30 40 --color --data $S/Set5 $S/Set14 \
    --method identity scn_small_jpeg_rgb.blind scn_small_jpeg.blind --json $OUT/jpeg_rgb.json
scn benchmark --task jpeg --quality 10 --color --data $S/Set5 $S/Set14 --method scn_small_jpeg_rgb.q10 scn_small_jpeg.q10 \
    --json $OUT/jpeg_rgb_q10.json
