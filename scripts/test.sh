#!/usr/bin/env bash
# The test command: install what is missing (Debian packages), build, run the fast suite.
# Slow checks (accuracy on the benchmark set, long files) run with: ctest --test-dir build -L slow
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
ctest --test-dir build -L fast --output-on-failure -j"$(nproc)" --timeout 600
# A short fuzz pass over every parser of outside input (libFuzzer, ASan + UBSan); longer runs:
# scripts/fuzz.sh SECONDS
scripts/fuzz.sh "${POPWATCH_FUZZ_SECONDS:-20}"
