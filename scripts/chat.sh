#!/usr/bin/env bash
# Set up, build the index from the articles folder (seeds/ by default) and open the chat on
# http://127.0.0.1:7860. Extra arguments go to app.py, e.g. --articles my-articles/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh requirements.txt
exec .venv/bin/python app.py "$@"
