#!/usr/bin/env bash
# Alternating runs of two strm builds on the demo job, for comparing changes on a noisy
# machine, where single runs rank nothing (see docs/performance.md).
# Usage: bash bench/ab.sh BIN_A BIN_B [PAIRS] [THREADS]     (defaults: 3 pairs, 2 threads)
#
# Runs A, B, A, B, ... on the input of bench/e2e.sh ($STRM_BENCH_DIR/data/input.csv, default
# /tmp/strm-bench; run e2e.sh once first), each on a fresh $STRM_HOME, and prints one line per
# run: the binary, wall and CPU seconds, peak RSS (`/usr/bin/time`), and the seconds the
# hypervisor stole from the whole machine meanwhile (/proc/stat), which says how far to trust
# the run. The outputs are removed after each run.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

die() { echo "ab: $*" >&2; exit 2; }
(($# >= 2)) || die "usage: bash bench/ab.sh BIN_A BIN_B [PAIRS] [THREADS]"
a=$1 b=$2 pairs=${3:-3} threads=${4:-2}
for bin in "$a" "$b"; do [[ -x $bin ]] || die "$bin is not an executable"; done
[[ $pairs =~ ^[1-9][0-9]*$ ]] || die "PAIRS must be a positive integer"
[[ $threads =~ ^[1-9][0-9]*$ ]] || die "THREADS must be a positive integer"
[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing (Debian package 'time')"

data=${STRM_BENCH_DIR:-/tmp/strm-bench}/data
[[ -f $data/input.csv ]] || die "$data/input.csv is missing: run bash bench/e2e.sh first"
work=$(mktemp -d)
trap 'rm -rf "$work" "$data/out"' EXIT

steal() { awk '/^cpu /{print $9}' /proc/stat; }  # in USER_HZ ticks (1/100 s)

for ((i = 0; i < pairs; ++i)); do
  for bin in "$a" "$b"; do
    rm -rf "$work/home" "$data/out"
    export STRM_HOME=$work/home
    "$bin" create data-connector local databert-demo "$data" -o json > /dev/null
    "$bin" create data-contract databert-handle/batch_job_public/1.0.0 \
      --schema-definition "$repo/examples/demo/schema.json" \
      --contract-definition "$repo/examples/demo/contract.json" -o json > /dev/null
    s0=$(steal)
    /usr/bin/time -o "$work/time" -f "%e %U %S %M" \
      "$bin" create batch-job -F "$repo/examples/demo/job.json" --threads "$threads" -o json \
      > /dev/null
    s1=$(steal)
    read -r wall user sys rss < "$work/time"
    awk -v bin="$bin" -v t="$threads" -v w="$wall" -v u="$user" -v s="$sys" -v m="$rss" \
      -v st="$((s1 - s0))" 'BEGIN {
        printf "%-40s threads=%s wall=%6.2f s cpu=%6.2f s rss=%d MiB steal=%.1f s\n",
               bin, t, w, u + s, m / 1024, st / 100 }'
  done
done
