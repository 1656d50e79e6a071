#!/usr/bin/env bash
# Set up a virtual environment in .venv with scn installed (editable) and its test tools.
# Where no torch is installed yet, the CPU build torch==2.13.0 is installed first, so that the `torch>=2.2`
# requirement does not pull a multi-GB CUDA build. Re-running is cheap.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
    .venv/bin/pip install --quiet --disable-pip-version-check torch==2.13.0
fi
.venv/bin/pip install --quiet --disable-pip-version-check -e ".[test]"
