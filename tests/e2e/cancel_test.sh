#!/usr/bin/env bash
# Ctrl-C (SIGINT) or SIGTERM during `strm create batch-job`: the job stops, its state is
# CANCELLED with a clear message, the process exits 130 (143 for SIGTERM), and no output,
# partial or temporary, is left behind; outputs of an earlier run stay as they were.
# A job whose process is killed outright is shown as ERROR instead of RUNNING forever.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

CONTRACT=databert-handle/batch_job_public/1.0.0
"$STRM" simulate batch-data --rows 400000 --users 50000 --days 7 >"$DATA/input.csv"
strm_ok create data-connector local databert-demo "$DATA" -o plain
strm_ok create data-contract "$CONTRACT" --schema-definition "$DEMO/schema.json" \
  --contract-definition "$DEMO/contract.json" -o plain

# interrupt_job SIGNAL THREADS: starts the demo job, sends SIGNAL once it is RUNNING, waits;
# sets RC, and JOB_ERR to its stderr.
interrupt_job() {
  local signal=$1 threads=$2 state="" pid jobs
  jobs=$("$STRM" list batch-jobs -o plain | wc -l)
  "$STRM" create batch-job -F "$DEMO/job.json" --threads "$threads" -o plain \
    >"$WORK/job.out" 2>"$WORK/job.err" &
  pid=$!
  # Interrupt once the job is running (its signal handler is in place by then).
  for _ in $(seq 1 300); do
    state=$("$STRM" list batch-jobs -o plain | sed -n "$((jobs + 1))p" | cut -f3)
    [[ $state == RUNNING || $state == FINISHED ]] && break
    sleep 0.1
  done
  expect_eq "the job reached RUNNING before $signal" RUNNING "$state"
  kill "-$signal" "$pid"
  RC=0
  wait "$pid" || RC=$?
  JOB_ERR=$(cat "$WORK/job.err")
  expect_eq "nothing on stdout" "" "$(cat "$WORK/job.out")"
}

interrupt_job INT 1
expect_eq "an interrupted job exits with 130 (128 + SIGINT)" 130 "$RC"
expect_contains "stderr says the job was cancelled" "$JOB_ERR" \
  "was cancelled; no output was committed."
strm_ok list batch-jobs -o plain
expect_eq "the job is CANCELLED with the reason" \
  "CANCELLED	the job was cancelled; no output was committed" "$(cut -f3,4 <<<"$OUT")"
expect_eq "no output and no temporary file is left" "" \
  "$(find "$DATA" -type f -not -name input.csv)"

# With earlier outputs in place, SIGTERM to a run with two threads leaves them as they were.
strm_ok create batch-job -F "$DEMO/job.json" --threads 2 -o plain
(cd "$DATA/out" && sha256sum ./* >"$WORK/before.sha256")
interrupt_job TERM 2
expect_eq "a terminated job exits with 143 (128 + SIGTERM)" 143 "$RC"
strm_ok list batch-jobs -o plain
expect_eq "the job is CANCELLED" CANCELLED "$(tail -n 1 <<<"$OUT" | cut -f3)"
expect_eq "the earlier outputs are untouched" "" \
  "$(cd "$DATA/out" && sha256sum --quiet -c "$WORK/before.sha256" 2>&1)"
expect_eq "no temporary file is left" "" "$(find "$DATA" -name '.*.strm-tmp-*')"
expect_eq "the keys file is private" 600 "$(stat -c %a "$DATA/out/keys.csv")"
rm -rf "$DATA/out"

# kill -9: nothing can clean up, but the job must not stay RUNNING.
"$STRM" create batch-job -F "$DEMO/job.json" --threads 1 -o plain >/dev/null 2>&1 &
pid=$!
state=""
for _ in $(seq 1 300); do
  state=$("$STRM" list batch-jobs -o plain | tail -n 1 | cut -f3)
  [[ $state == RUNNING || $state == FINISHED ]] && break
  sleep 0.1
done
expect_eq "the second job reached RUNNING" RUNNING "$state"
kill -KILL "$pid"
{ wait "$pid"; } 2>/dev/null || true
strm_ok list batch-jobs -o plain
expect_eq "a killed job is shown as ERROR, naming its process" \
  "ERROR	the strm process that ran this job (pid $pid) ended before the job finished" \
  "$(tail -n 1 <<<"$OUT" | cut -f3,4)"
expect_eq "no output is left under its final name" "" \
  "$(find "$DATA" -type f -not -name input.csv -not -name '.*.strm-tmp-*')"
finish
