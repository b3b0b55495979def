#!/usr/bin/env bash
# The README's second command (and CI's): installs what is needed, builds with warnings as
# errors, runs every test (unit, faults, end-to-end), then builds the unit and fault tests
# with ASan + UBSan and runs them again, and runs each fuzzer for a short time
# (scripts/fuzz.sh: 3.5 minutes on 2 cores, its clang build included). Exits non-zero on any
# failure.
# STRM_SKIP_ASAN=1 and STRM_SKIP_FUZZ=1 skip those two stages; STRM_FUZZ_SECONDS sets the
# time per fuzzer (default 20).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)

bash scripts/setup.sh
bash scripts/services.sh > /dev/null  # the connector tests' servers (npm)
echo "== build (warnings are errors)"
bash scripts/build.sh ci
echo "== tests"
ctest --preset ci -j "$jobs"

echo "== the README's first command (scripts/demo.sh)"
demo_log=$(mktemp)
trap 'rm -f "$demo_log"' EXIT
bash scripts/demo.sh > "$demo_log" 2>&1 || { cat "$demo_log"; echo "demo failed"; exit 1; }
for expected in "FINISHED" "Processed 10 records in" "derived_data[0] (out/derived-2.csv)" \
  "e07e42089c9396d6bda4c" "ibthtfnf@mbeito.com"; do
  grep -qF "$expected" "$demo_log" || { cat "$demo_log"; echo "demo output lacks: $expected"; exit 1; }
done
echo "demo: 5 passed, 0 failed"

if [[ ${STRM_SKIP_ASAN:-0} != 1 ]]; then
  echo "== unit tests under ASan + UBSan"
  bash scripts/build.sh asan
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --preset asan -j "$jobs"
fi

if [[ ${STRM_SKIP_FUZZ:-0} != 1 ]]; then
  echo "== fuzzers, ${STRM_FUZZ_SECONDS:-20} s each (clang, ASan + UBSan)"
  bash scripts/fuzz.sh "${STRM_FUZZ_SECONDS:-20}"
fi
