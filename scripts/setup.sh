#!/usr/bin/env bash
# Create .venv (Python 3.11) and install requirements into it: scripts/setup.sh [requirements file]
set -euo pipefail
cd "$(dirname "$0")/.."
requirements="${1:-requirements.txt}"
python="${PYTHON:-$(command -v python3.11 || command -v python3)}"
if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
fi
# Python 3.11's bundled pip (23.2) does not normalise extras' names and warns that lxml has no
# 'html_clean' extra (justext asks for it; lxml spells it html-clean): a newer pip reads both.
pip_version=25.3
if ! .venv/bin/python -m pip --version | grep -q "^pip $pip_version "; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check "pip==$pip_version" 2>&1 \
        | { grep -v "^WARNING: Location .* is ignored" || true; }
fi
stamp=".venv/.installed-$(basename "$requirements")"
stale=""
for file in requirements*.txt; do [ "$file" -nt "$stamp" ] && stale=1; done  # it or a file it includes changed
if [ ! -f "$stamp" ] || [ -n "$stale" ]; then
    echo "installing $requirements into .venv (a few minutes the first time)..." >&2
    # This machine's pip configuration names local mirrors that may be absent: drop those warnings.
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements" 2>&1 \
        | { grep -v "^WARNING: Location .* is ignored" || true; }
    touch "$stamp"
fi
