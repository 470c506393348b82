#!/usr/bin/env bash
# Set up (if needed) and start the chat at http://127.0.0.1:7860 on the bundled sample corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/upr serve "$@"
