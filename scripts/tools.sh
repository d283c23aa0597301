#!/usr/bin/env bash
# Installs the project's pinned Python tools into a virtual environment
# (default .venv), once per change of requirements-dev.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=${1:-${VENV:-.venv}}
stamp="$venv/.requirements-dev.txt"
if ! cmp -s requirements-dev.txt "$stamp" 2>/dev/null; then
    echo "==> installing the pinned Python tools into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --disable-pip-version-check --quiet -r requirements-dev.txt
    cp requirements-dev.txt "$stamp"
fi
