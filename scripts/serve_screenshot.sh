#!/usr/bin/env bash
# The README's picture of `scn serve`: the page after restoring the demo photo x2, taken by headless Chromium.
#   bash scripts/serve_screenshot.sh [OUT.png]      (default docs/serve.png)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/serve.png}
port=${PORT:-8791}
.venv/bin/scn serve --port "$port" 2>/dev/null &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$port/api/options" >/dev/null && break; sleep 0.5; done
profile=$(mktemp -d)
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="$profile" --hide-scrollbars --window-size=1280,760 \
    --virtual-time-budget=60000 --screenshot="$out" "http://127.0.0.1:$port/?demo=1&task=sr&setting=2&run=1" \
    >/dev/null 2>&1
rm -rf "$profile"
echo "wrote $out"
