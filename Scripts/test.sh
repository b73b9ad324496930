#!/usr/bin/env bash
# Runs the whole test suite: the Python stage runners' tests, in the environments ablate itself
# creates for them (built on first use in the user's cache directory, keyed by their
# requirements, and reused afterwards), then the Swift tests.
set -euo pipefail
cd "$(dirname "$0")/.."

environment() {
  PYTHONPATH=Runners python3 -m ablate_runners.environment --requirements "Runners/environments/$1.txt" >&2
  PYTHONPATH=Runners python3 -m ablate_runners.environment --requirements "Runners/environments/$1.txt" --print-python | tail -n 1
}
runners_python=$(environment runners)
ABLATE_PPO_PYTHON=$(environment ppo)
# The Swift tests validate JSON against the published schema with this Python's jsonschema.
export ABLATE_TEST_PYTHON="$runners_python" ABLATE_PPO_PYTHON

# One pytest worker per core (pytest-xdist): a test mostly waits for a runner process, which
# imports torch on one core. Each test file runs on one worker, so the models a file's fixtures
# train are trained once.
(cd Runners && "$runners_python" -m pytest -q -n "$(nproc)" --dist loadfile)
# Tests wait for processes without holding one of the test runner's threads (onOwnThread), so
# the runner would start every test at once; two per core keeps the timed ones honest.
export SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=${SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH:-$(($(nproc) * 2))}
swift test "$@"
