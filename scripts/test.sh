#!/usr/bin/env bash
# The README's second command (and CI's): installs what is needed, builds with warnings as
# errors, runs every test (unit, end-to-end), then builds the unit tests with ASan + UBSan
# and runs them again. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)

bash scripts/setup.sh
echo "== build (warnings are errors)"
bash scripts/build.sh ci
echo "== tests"
ctest --preset ci -j "$jobs"

if [[ ${STRM_SKIP_ASAN:-0} != 1 ]]; then
  echo "== unit tests under ASan + UBSan"
  bash scripts/build.sh asan
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --preset asan -j "$jobs"
fi
