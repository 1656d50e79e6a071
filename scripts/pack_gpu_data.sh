#!/usr/bin/env bash
# Pack the training and validation data a GPU run needs into gpu_data/ (ignored by git), for a machine that has
# no ../shared and no network: the GPU machine receives the checkout plus at most 64 MiB of carried paths.
#
#   bash scripts/pack_gpu_data.sh sr|denoise|jpeg|colour|colour-train|all   # then carry gpu_data/ (docs/training.md)
#
# colour-train: T91 + BSD200 alone (no test sets), for a training stage validated on data.holdout.
#
# Layout mirrors ../shared (gpu_data/datasets/train/T91, .../test/Set5, ...), so the configs' ../shared/... paths
# work unchanged when scripts/gpu_train.sh sets SCN_SHARED=gpu_data. T91 + BSD200 go as their lossless WebP copies
# (../shared/datasets/train-webp, pixel-identical to the PNGs, 41 MB instead of 66); Train400 (gray) as PNG; the
# test sets' RGB pictures are turned into lossless WebP here (Set14 5.0 -> 3.3 MB), so 'sr' fits with the code.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared}
OUT=${OUT:-gpu_data}
[ $# -ge 1 ] || { echo "usage: $0 sr|denoise|jpeg|colour|colour-train|all ..." >&2; exit 2; }
want() { for t in "$@"; do for a in "${TASKS[@]}"; do [ "$a" = "$t" ] || [ "$a" = all ] && return 0; done; done; return 1; }
TASKS=("$@")
rm -rf "$OUT"
mkdir -p "$OUT/datasets/train" "$OUT/datasets/test"
if want sr jpeg colour colour-train; then
    cp -r "$SHARED/datasets/train-webp/T91" "$SHARED/datasets/train-webp/BSD200" "$OUT/datasets/train/"
fi
want denoise && cp -r "$SHARED/datasets/train/Train400" "$OUT/datasets/train/"  # gray PNG: WebP would be RGB
want sr colour && cp -r "$SHARED/datasets/test/Set5" "$SHARED/datasets/test/Set14" "$OUT/datasets/test/"  # colour
want denoise && cp -r "$SHARED/datasets/test/Set12" "$OUT/datasets/test/"
want jpeg && cp -r "$SHARED/datasets/test/Classic5" "$OUT/datasets/test/"
# the test sets' RGB PNGs as lossless WebP too (checked pixel-identical; gray ones stay PNG, as WebP is RGB)
PY=${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}
"$PY" - "$OUT/datasets/test" <<'PYTHON'
import sys
from pathlib import Path
import numpy as np
from PIL import Image
for png in sorted(Path(sys.argv[1]).glob("*/*.png")):
    with Image.open(png) as image:
        if image.mode != "RGB":
            continue
        webp = png.with_suffix(".webp")
        image.save(webp, lossless=True, quality=100, method=6)
        with Image.open(webp) as back:
            if not np.array_equal(np.asarray(back.convert("RGB")), np.asarray(image)):
                sys.exit(f"{png}: its WebP copy differs; kept the PNG")
    png.unlink()
PYTHON
exclude=.git/info/exclude
mkdir -p .git/info && touch "$exclude"
for ignored in "/$OUT/" /.aside/; do grep -qx "$ignored" "$exclude" || echo "$ignored" >> "$exclude"; done
code=$({ git ls-files -z | xargs -0 du -cb 2>/dev/null || true; } | tail -1 | cut -f1)  # the tracked files on disk: what travels
data=$(du -sb "$OUT" | cut -f1)
echo "packed $OUT/ for ${TASKS[*]}: $((data / 1048576)) MiB of data + $((code / 1048576)) MiB of code = $(((data + code) / 1048576)) MiB (the limit is 64)"
find "$OUT" -mindepth 3 -maxdepth 3 -type d | sort | sed 's/^/  /'
if [ $((data + code)) -gt $((64 * 1048576)) ]; then
    echo "too much for one GPU run (64 MiB with the code): pack fewer tasks, e.g. 'sr', or 'denoise jpeg'; or set" \
         "the weights the run does not need aside for the call (mkdir -p .aside && mv scn/weights/scn_small_* .aside/;" \
         "back after it; /.aside/ is ignored)" >&2
    exit 1
fi
