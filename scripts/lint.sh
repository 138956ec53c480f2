#!/usr/bin/env bash
# The static gates (`make lint`; scripts/run-tests.sh runs them before pytest): ruff's
# rule set and mypy's settings are in pyproject.toml.  Any finding fails.
set -u
cd "$(dirname "$0")/.."
BIN=${VENV:-.venv}/bin
status=0
"$BIN/ruff" check --no-cache . || status=1
"$BIN/mypy" || status=1
exit $status
