#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/<name>_fuzzer.cc) with clang under ASan + UBSan
# into build-fuzz/, then runs each for SECONDS (default 60), one at a time, on a working
# corpus build-fuzz/corpus/<name> seeded from tests/fuzz/corpus/<name>. Prints one summary
# line per target; exits non-zero if a target crashed, leaked, hung or ran out of memory,
# printing the sanitizer report and the path of the input that did it (kept under
# build-fuzz/artifacts/<name>/; rerun it with build-fuzz/<name>_fuzzer FILE).
# Usage: scripts/fuzz.sh [seconds] [target...]   (targets: csv charset ...; default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
(($# > 0)) && shift
targets=("$@")
if ((${#targets[@]} == 0)); then
  for f in tests/fuzz/*_fuzzer.cc; do targets+=("$(basename "$f" _fuzzer.cc)"); done
fi
for t in "${targets[@]}"; do
  [[ -f tests/fuzz/${t}_fuzzer.cc ]] || { echo "fuzz: no target '$t' in tests/fuzz/"; exit 2; }
done
jobs=$(nproc 2>/dev/null || echo 2)

# -O1 and line tables only, as OSS-Fuzz builds: it compiles in half the time of -O2 -g and
# fuzzes about as fast. Only the fuzzers and the modules they link are built.
echo "== fuzz: building ${targets[*]} (clang, ASan + UBSan) in build-fuzz/"
build_start=$SECONDS
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Fuzz \
  -DCMAKE_CXX_FLAGS_FUZZ="-O1 -gline-tables-only" -DSTRM_BUILD_FUZZERS=ON \
  -DSTRM_BUILD_TESTS=OFF -DSTRM_BUILD_BENCH=OFF > /dev/null
cmake --build build-fuzz -j "$jobs" --target "${targets[@]/%/_fuzzer}"
echo "fuzz: built in $((SECONDS - build_start)) s"

# Readable stack traces need llvm-symbolizer (Debian's llvm package puts it on the PATH).
if ! command -v llvm-symbolizer > /dev/null && [[ -x /usr/lib/llvm-14/bin/llvm-symbolizer ]]; then
  export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
fi
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

failed=()
for t in "${targets[@]}"; do
  corpus=build-fuzz/corpus/$t
  artifacts=build-fuzz/artifacts/$t
  log=build-fuzz/logs/$t.log
  mkdir -p "$corpus" "$artifacts" build-fuzz/logs
  [[ -d tests/fuzz/corpus/$t ]] && cp tests/fuzz/corpus/"$t"/* "$corpus"/  # the seeds
  start=$SECONDS
  rc=0
  "build-fuzz/${t}_fuzzer" "$corpus" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/" > "$log" 2>&1 || rc=$?
  took=$((SECONDS - start))
  # libFuzzer's last status line: "#1234 DONE cov: 567 ft: 890 corp: 12/345b ... exec/s: 20".
  status=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
  runs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -n 1)
  [[ -n $runs ]] || runs=$(sed -nE 's/^#([0-9]+).*/\1/p' <<< "$status")
  field() { sed -nE "s|.* $1 ([^ ]+).*|\\1|p" <<< "$status"; }
  summary="${runs:-0} runs in ${took} s ($(field exec/s:) exec/s), corpus $(field corp:)"
  summary+=", cov $(field cov:) ft $(field ft:)"
  if ((rc == 0)); then
    echo "fuzz: $t: $summary, no crash"
  else
    echo "---- build-fuzz/logs/$t.log (end)"
    tail -n 60 "$log"
    echo "----"
    echo "fuzz: $t: $summary, CRASH (libFuzzer exit code $rc)"
    grep -E 'Test unit written to' "$log" | sed 's/^.*Test unit written to /fuzz: input: /' || true
    failed+=("$t")
  fi
done

if ((${#failed[@]})); then
  echo "fuzz: ${#failed[@]} of ${#targets[@]} targets failed: ${failed[*]}"
  exit 1
fi
echo "fuzz: ${#targets[@]} targets, no crash"
