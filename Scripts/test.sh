#!/usr/bin/env bash
# Runs the whole test suite: the Swift tests (with a Python that has jsonschema for the schema
# test) and the Python stage runners' tests. The Python environment lives in the user's cache
# directory, keyed by its requirements, and is reused across runs.
set -euo pipefail
cd "$(dirname "$0")/.."

requirements="jsonschema>=4.18 pytest>=7"
key=$(printf '%s' "$requirements" | sha256sum | cut -c1-12)
venv="${XDG_CACHE_HOME:-$HOME/.cache}/ablate/test-venv-$key"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import jsonschema, pytest" 2>/dev/null; then
  echo "Creating the test Python environment in $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  # shellcheck disable=SC2086 # the requirements are separate words
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check $requirements
fi
export ABLATE_TEST_PYTHON="$venv/bin/python"

(cd Runners && "$venv/bin/python" -m pytest -q)
swift test "$@"
