#!/usr/bin/env bash
# Set up (if needed), install the browser for the UI test, and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
    else
        echo "the browser test needs Debian's chromium: sudo apt-get install chromium chromium-driver" >&2
    fi
fi
.venv/bin/ruff check assistant ingest index evals tests
exec .venv/bin/python -m pytest "$@"
