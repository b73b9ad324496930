#!/usr/bin/env bash
# Formats the Swift sources with swift-format and the checked-in .swift-format.
#   Scripts/format.sh          rewrite files in place
#   Scripts/format.sh --lint   only report, exit non-zero on findings (what CI runs)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--lint" ]; then
  swift format lint --strict --recursive --parallel Package.swift Sources Tests
else
  swift format format --in-place --recursive --parallel Package.swift Sources Tests
fi
