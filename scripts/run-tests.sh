#!/usr/bin/env bash
# Run the whole test suite with the project's virtualenv.  pytest's exit code 5
# ("no tests collected") is a failure here: a suite that ran nothing proves nothing.
set -u
cd "$(dirname "$0")/.."
BIN=${VENV:-.venv}/bin
"$BIN/python" -m pytest -q -p no:cacheprovider "$@"
status=$?
if [ $status -eq 5 ]; then
  echo "run-tests: pytest collected no tests" >&2
  exit 1
fi
exit $status
