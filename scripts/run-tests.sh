#!/usr/bin/env bash
# Run the static gates (scripts/lint.sh: ruff and mypy, as `make lint`), then the whole
# test suite with the project's virtualenv.  A lint finding fails the run before any
# test starts.  pytest's exit code 5 ("no tests collected") is a failure here: a suite
# that ran nothing proves nothing.
set -u
cd "$(dirname "$0")/.."
BIN=${VENV:-.venv}/bin
if ! bash scripts/lint.sh; then
  echo "run-tests: lint findings (ruff/mypy above); fix them first" >&2
  exit 1
fi
"$BIN/python" -m pytest -q -p no:cacheprovider "$@"
status=$?
if [ $status -eq 5 ]; then
  echo "run-tests: pytest collected no tests" >&2
  exit 1
fi
exit $status
