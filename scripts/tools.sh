#!/usr/bin/env bash
# Installs one set of the project's pinned Python tools into its own virtual
# environment, .venv/NAME, from requirements-NAME.txt; again only when that
# file changes. The sets cannot share one environment (their boto3 and
# click pins conflict):
#   dev      moto, the DynamoDB-API server of the tests
#   build    cargo-lambda (and the zig it cross-links arm64 with)
#   infra    aws-sam-cli, cfn-lint
#   checkov  checkov
#   fuzz     schemathesis
# (terraform, for `terraform fmt`, is a binary on PATH, not one of these.)
# Usage: scripts/tools.sh NAME...   (prints nothing when up to date)
set -euo pipefail
cd "$(dirname "$0")/.."

for name in "$@"; do
    requirements="requirements-$name.txt"
    venv=".venv/$name"
    stamp="$venv/.installed-requirements.txt"
    if ! cmp -s "$requirements" "$stamp" 2>/dev/null; then
        echo "==> installing $requirements into $venv"
        python3 -m venv "$venv"
        # No wheel cache: each set is installed once, and a cache beside the
        # environments would take as much disk again.
        "$venv/bin/pip" install --disable-pip-version-check --no-cache-dir --quiet -r "$requirements"
        cp "$requirements" "$stamp"
    fi
done
