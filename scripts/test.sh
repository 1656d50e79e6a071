#!/usr/bin/env bash
# Set up (scripts/setup.sh) and run the test suite. Extra arguments go to pytest.
# The tests run in a pytest-xdist worker per usable core (at most 4; SCN_TEST_WORKERS to choose, 0 for none),
# a test file to a worker, one torch thread each. The `scn serve` browser test needs Debian's chromium: installed
# here where missing (as root, with apt); without it that one test skips and says why. Beside a training pinned
# to one core, run it on the other:
#   SCN_TEST_THREADS=1 OMP_NUM_THREADS=1 taskset -c 1 bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    { apt-get install -y -q chromium >/dev/null 2>&1 \
        || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1; }; } \
        || echo "scripts/test.sh: could not install chromium; the browser test of scn serve will skip" >&2
fi
cores=$(.venv/bin/python -c "import os; print(len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count())")
workers=${SCN_TEST_WORKERS:-$cores}  # usable cores (taskset counts); no nproc on macOS
[ "$workers" -le 4 ] || workers=4
if [ "$workers" -gt 1 ]; then
    exec .venv/bin/python -m pytest -n "$workers" --dist loadfile "$@"
fi
exec .venv/bin/python -m pytest "$@"
