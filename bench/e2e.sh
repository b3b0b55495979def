#!/usr/bin/env bash
# End-to-end benchmark of `strm create batch-job` with the demo job (issue 3).
# Usage: bash bench/e2e.sh [ROWS] [THREADS...]     (defaults: 10000000 rows, threads "1 2")
#        STRM_BENCH_DAYS=8 bash bench/e2e.sh 1000000 2     (the key-heavy shape: a key for
#                                                            every other row)
#
# Generates `strm simulate batch-data --rows ROWS --users 100000 --days DAYS` (DAYS from
# $STRM_BENCH_DAYS, default 7) once into
# $STRM_BENCH_DIR/data/input.csv (default /tmp/strm-bench; reused when it has the same row
# count), then for each thread count runs the demo job on a fresh $STRM_HOME under
# /usr/bin/time -v and prints one line per run: threads, rows, seconds, rows/s, input MB/s
# (10^6 bytes), peak RSS (MiB), the speed-up over the 1-thread run, and the seconds the whole
# machine sat idle and had stolen by the hypervisor meanwhile (/proc/stat). Then the crypto-bound
# line: AES-SIV alone over the Email, PrivateFieldA and PrivateFieldB values of the first
# 1,000,000 rows (at most), rekeying once per row (`strm_bench --crypto-bound`).
#
# Binaries come from $STRM_BUILD_DIR (default: build). Only when build/strm (or
# build/strm_bench) is missing does it build them (scripts/build.sh default ...).
# A 10M-row run needs about 1.5 GB for the input and 4.5 GB for one run's outputs, which are
# removed after each run.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

rows=${1:-10000000}
shift || true
threads=("$@")
((${#threads[@]})) || threads=(1 2)
[[ $rows =~ ^[1-9][0-9]*$ ]] || { echo "e2e: ROWS must be a positive integer" >&2; exit 2; }
for t in "${threads[@]}"; do
  [[ $t =~ ^[1-9][0-9]*$ ]] || { echo "e2e: THREADS must be positive integers" >&2; exit 2; }
done
days=${STRM_BENCH_DAYS:-7}
[[ $days =~ ^[1-9][0-9]*$ ]] || { echo "e2e: STRM_BENCH_DAYS must be a positive integer" >&2; exit 2; }

die() { echo "e2e: FAILED: $*" >&2; exit 1; }

build_dir=${STRM_BUILD_DIR:-build}
[[ $build_dir = /* ]] || build_dir=$repo/$build_dir
strm=$build_dir/strm
bench=$build_dir/strm_bench
for target in strm strm_bench; do
  if [[ ! -x $build_dir/$target ]]; then
    if [[ $build_dir == "$repo/build" ]]; then
      echo "e2e: $build_dir/$target is missing; building it" >&2
      bash scripts/build.sh default "$target" >&2
    elif [[ $target == strm ]]; then
      die "$strm is missing (set STRM_BUILD_DIR to a build directory that has it)"
    fi
  fi
done
[[ -x $strm ]] || die "$strm was not built"
[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing (Debian package 'time')"

base=${STRM_BENCH_DIR:-/tmp/strm-bench}
data=$base/data
mkdir -p "$data"
work=$(mktemp -d "$base/run.XXXXXX")
cleanup() { rm -rf "$work" "$data/out"; }
trap cleanup EXIT

# ---- input ----------------------------------------------------------------------------------
input=$data/input.csv
stamp="rows=$rows users=100000 days=$days"
if [[ -f $input && -f $data/input.spec && $(cat "$data/input.spec") == "$stamp" ]]; then
  echo "e2e: reusing $input ($stamp)" >&2
else
  echo "e2e: generating $input ($stamp)" >&2
  rm -f "$input" "$data/input.spec"
  "$strm" simulate batch-data --rows "$rows" --users 100000 --days "$days" > "$input.tmp"
  mv "$input.tmp" "$input"
  echo "$stamp" > "$data/input.spec"
fi
input_bytes=$(stat -c %s "$input")
lines=$(wc -l < "$input")
((lines == rows + 1)) || die "$input has $lines lines, expected $((rows + 1))"

# ---- runs -----------------------------------------------------------------------------------
declare -A secs rss cpu keys
for t in "${threads[@]}"; do
  run=$work/t$t
  mkdir -p "$run/home"
  rm -rf "$data/out"
  export STRM_HOME=$run/home
  "$strm" create data-connector local databert-demo "$data" -o json > "$run/connector.json"
  "$strm" create data-contract databert-handle/batch_job_public/1.0.0 \
    --schema-definition examples/demo/schema.json --contract-definition examples/demo/contract.json \
    -o json > "$run/contract.json"
  echo "e2e: running $rows rows with $t thread(s)" >&2
  read -r -a stat0 < <(head -1 /proc/stat)
  start=$(date +%s%N)
  status=0
  /usr/bin/time -v -o "$run/time.txt" "$strm" create batch-job -F examples/demo/job.json \
    --threads "$t" -o json > "$run/job.json" 2> "$run/stderr" || status=$?
  end=$(date +%s%N)
  read -r -a stat1 < <(head -1 /proc/stat)
  # The whole machine's idle and stolen time meanwhile (USER_HZ ticks): how far to trust the run.
  idle[$t]=$(awk -v a="${stat0[4]}" -v b="${stat1[4]}" 'BEGIN { printf "%.1f", (b - a) / 100 }')
  steal[$t]=$(awk -v a="${stat0[8]}" -v b="${stat1[8]}" 'BEGIN { printf "%.1f", (b - a) / 100 }')
  if ((status != 0)); then
    cat "$run/stderr" "$run/job.json" >&2
    die "the job with $t thread(s) exited with status $status"
  fi
  grep -q '"state": *"FINISHED"' "$run/job.json" || { cat "$run/job.json" >&2; die "job not FINISHED"; }
  job_rows=$(grep -o '"rows": *[0-9]*' "$run/job.json" | head -1 | grep -o '[0-9]*$' || true)
  [[ $job_rows == "$rows" ]] || { cat "$run/job.json" >&2; die "job reports rows=$job_rows, expected $rows"; }
  keys[$t]=$(grep -o '"keys": *[0-9]*' "$run/job.json" | head -1 | grep -o '[0-9]*$' || true)
  for f in encrypted.csv derived-2.csv keys.csv; do
    [[ -s $data/out/$f ]] || die "output out/$f is missing or empty"
  done
  enc_lines=$(wc -l < "$data/out/encrypted.csv")
  ((enc_lines == rows + 1)) || die "out/encrypted.csv has $enc_lines lines, expected $((rows + 1))"
  secs[$t]=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
  kb=$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): *//p' "$run/time.txt")
  [[ -n $kb ]] || die "no peak RSS in the output of /usr/bin/time -v"
  rss[$t]=$(awk -v k="$kb" 'BEGIN { printf "%.1f", k / 1024 }')
  cpu[$t]=$(awk -F': *' '/User time|System time/ { s += $2 } END { printf "%.1f", s }' "$run/time.txt")
  rm -rf "$data/out" "$run/home"
done

# ---- report ---------------------------------------------------------------------------------
echo "# strm create batch-job, demo job, $rows rows of 100000 users over $days days, input $(awk -v b="$input_bytes" \
  'BEGIN { printf "%.1f", b / 1e6 }') MB, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
printf '%-8s %-10s %-8s %-9s %-11s %-9s %-13s %-8s %-8s %-7s %s\n' threads rows keys seconds \
  rows/s MB/s peak_RSS_MiB cpu_s speedup idle_s steal_s
for t in "${threads[@]}"; do
  awk -v t="$t" -v r="$rows" -v k="${keys[$t]:-?}" -v s="${secs[$t]}" -v b="$input_bytes" -v m="${rss[$t]}" \
    -v c="${cpu[$t]}" -v s1="${secs[1]:-}" -v i="${idle[$t]}" -v st="${steal[$t]}" 'BEGIN {
      sp = s1 == "" ? "-" : sprintf("%.2fx", s1 / s)
      printf "%-8d %-10d %-8s %-9.3f %-11.0f %-9.1f %-13.1f %-8.1f %-8s %-7.1f %.1f\n", t, r, k, s, r / s,
        b / 1e6 / s, m, c, sp, i, st
    }'
done
echo "# idle_s, steal_s: the whole machine's idle and hypervisor-stolen seconds during the run"

if [[ -x $bench ]]; then
  cb_rows=$((rows < 1000000 ? rows : 1000000))
  line=$("$bench" --crypto-bound "$input" "$cb_rows") || die "strm_bench --crypto-bound failed"
  cb_rate=$(sed -n 's/.*rows_per_s=\([0-9.]*\).*/\1/p' <<< "$line")
  cb_ns=$(sed -n 's/.*ns_per_row=\([0-9.]*\).*/\1/p' <<< "$line")
  [[ -n $cb_rate ]] || die "unexpected output of strm_bench --crypto-bound: $line"
  awk -v r="$cb_rate" -v n="$cb_ns" -v c="$cb_rows" -v s1="${secs[1]:-}" -v rows="$rows" 'BEGIN {
      printf "crypto-bound (1 thread, AES-SIV of 3 fields a row, each row under its own key, 8 rows at a time as the engine does, + base64, %d rows): %.0f rows/s, %.1f ns/row", c, r, n
      if (s1 != "") printf "; the 1-thread job runs at %.1f%% of it", 100 * rows / s1 / r
      printf "\n"
    }'
else
  echo "e2e: $bench is missing: no crypto-bound line (build the strm_bench target)" >&2
fi
